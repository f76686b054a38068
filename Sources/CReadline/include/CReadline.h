// A thin C layer over GNU readline for the wds REPL: Swift cannot easily set
// readline's function-pointer globals or write a signal-safe handler itself.
#ifndef WDS_CREADLINE_H
#define WDS_CREADLINE_H

/// Produces completion candidates: called with state 0 for the first, then 1, 2…;
/// returns a malloc'd string, or NULL when there are no more.
typedef char *(*wds_completion_generator)(const char *text, int state);

/// Sets the program name (for ~/.inputrc conditionals), the completer, and a
/// SIGINT handler that abandons the line being edited.
void wds_readline_setup(const char *name, wds_completion_generator generator);

/// One line from the terminal (malloc'd), or NULL at end of input (Ctrl-D).
char *wds_readline(const char *prompt);

/// The whole line being edited, and where the word being completed starts.
const char *wds_readline_line_buffer(void);
int wds_readline_completion_start(void);

/// Whether Ctrl-C was pressed since the last call (and clears the flag).
int wds_readline_take_interrupt(void);

/// Suppress the space readline adds after a completion (for paths ending in '/').
void wds_readline_no_append(void);

/// History in memory (without duplicates) and loading the file; wds writes the file itself.
void wds_history_add_unique(const char *line);
int wds_history_read(const char *path);
int wds_history_length(void);
const char *wds_history_get(int offset);
void wds_history_stifle(int cap);

#endif
