#define _GNU_SOURCE
#include <sched.h>
#include "CNamespaces.h"

int wds_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }

int wds_unshare_network_namespace(void) { return unshare(CLONE_NEWNET); }
