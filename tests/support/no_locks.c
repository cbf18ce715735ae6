/* Preloaded (LD_PRELOAD) by tests that need a file system which keeps no locks, as some network
 * and FUSE ones: flock answers ENOLCK there, and glide must go on without the lock. */
#include <errno.h>
#include <sys/file.h>

int flock(int fd, int operation) {
  (void)fd;
  (void)operation;
  errno = ENOLCK;
  return -1;
}
