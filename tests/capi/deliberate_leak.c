/* Opens checkpoints and never frees them: the capi_lsan_catches_leaks test requires the leak
 * checker to report this, proving capi_lsan would notice a leak through the C API. */
#include <string.h>

#include "glide.h"

static void open_and_forget(const char* path) {
  glide_checkpoint* checkpoint = NULL;
  glide_checkpoint_open(path, &checkpoint);
}

/* Overwrites the stack so no stale copy of a handle keeps it reachable. */
static void scrub_stack(void) {
  volatile char junk[1 << 16];
  memset((char*)junk, 0, sizeof junk);
}

int main(int argc, char** argv) {
  int i;
  if (argc != 2) return 2;
  for (i = 0; i < 3; ++i) open_and_forget(argv[1]);
  scrub_stack();
  return 0;
}
