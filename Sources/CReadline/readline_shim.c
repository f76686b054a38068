#include "CReadline.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>

static wds_completion_generator current_generator = NULL;
static int completion_start = 0;
static volatile sig_atomic_t interrupted = 0;
static volatile sig_atomic_t inside_readline = 0;

static char **attempt_completion(const char *text, int start, int end) {
    (void)end;
    completion_start = start;
    rl_attempted_completion_over = 1; /* no fallback to file names unless we say so */
    if (current_generator == NULL) return NULL;
    return rl_completion_matches(text, current_generator);
}

static sigjmp_buf abandon_line;

/* Ctrl-C while editing abandons the line: jump back out of readline (as psql
   does), and let wds_readline restore the terminal. Outside readline it only
   records the interrupt; a program wds runs gets the signal itself. */
static void on_interrupt(int signal_number) {
    (void)signal_number;
    interrupted = 1;
    if (inside_readline) {
        inside_readline = 0;
        siglongjmp(abandon_line, 1);
    }
}

void wds_readline_setup(const char *name, wds_completion_generator generator) {
    rl_readline_name = strdup(name);
    current_generator = generator;
    rl_attempted_completion_function = attempt_completion;
    /* Words end at blanks, quotes, brackets and `$(`: `echo "$na` and
       `$(basen` complete the part being typed. A `$` starts a word and stays
       in it, so variables complete with their `$`. */
    rl_completer_word_break_characters = " \t\n\"'`;|&{}()[]<>$";
    rl_special_prefixes = "$";
    rl_catch_signals = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt; /* no SA_RESTART: the read must return EINTR */
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
}

char *wds_readline(const char *prompt) {
    if (sigsetjmp(abandon_line, 1) != 0) {
        /* As bash draws it: "^C" where the cursor is, before the terminal is
           restored (which returns to the start of the line), then a new line. */
        rl_echo_signal_char(SIGINT);
        rl_free_line_state();
        rl_cleanup_after_signal();
        fputs("\n", rl_outstream ? rl_outstream : stdout);
        fflush(rl_outstream ? rl_outstream : stdout);
        return strdup("");
    }
    inside_readline = 1;
    char *line = readline(prompt);
    inside_readline = 0;
    return line;
}

const char *wds_readline_line_buffer(void) { return rl_line_buffer ? rl_line_buffer : ""; }
int wds_readline_completion_start(void) { return completion_start; }

int wds_readline_take_interrupt(void) {
    int was = interrupted;
    interrupted = 0;
    return was;
}

void wds_readline_no_append(void) { rl_completion_append_character = '\0'; }

void wds_history_add_unique(const char *line) {
    for (int i = history_length - 1; i >= 0; i--) {
        HIST_ENTRY *entry = history_get(history_base + i);
        if (entry && strcmp(entry->line, line) == 0) {
            HIST_ENTRY *removed = remove_history(i);
            if (removed) free_history_entry(removed);
        }
    }
    add_history(line);
}

int wds_history_read(const char *path) { return read_history(path); }

int wds_history_length(void) { return history_length; }

const char *wds_history_get(int offset) {
    HIST_ENTRY *entry = history_get(history_base + offset);
    return entry ? entry->line : NULL;
}

void wds_history_stifle(int cap) { stifle_history(cap); }
