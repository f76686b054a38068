// setns(2) and unshare(2) for network namespaces. Swift's Glibc module does
// not export them (glibc declares them only with _GNU_SOURCE).
#ifndef WDS_CNAMESPACES_H
#define WDS_CNAMESPACES_H

/// setns(fd, CLONE_NEWNET): the calling thread joins the network namespace open at fd.
int wds_enter_network_namespace(int fd);

/// unshare(CLONE_NEWNET): the calling thread moves into a new, empty network namespace.
int wds_unshare_network_namespace(void);

#endif
