/* Lists a checkpoint's tensors with glide's C API:
 *   c_inspect model.pt
 * Build: cc -std=c99 c_inspect.c $(pkg-config --cflags --libs glide) -o c_inspect */
#include <inttypes.h>
#include <stdio.h>

#include "glide.h"

int main(int argc, char** argv) {
  glide_checkpoint* checkpoint = NULL;
  glide_checkpoint_info info = {.version = GLIDE_CHECKPOINT_INFO_VERSION};
  glide_tensor_info tensor = {.version = GLIDE_TENSOR_INFO_VERSION};
  size_t i, d;
  int rc;

  if (argc != 2) {
    fprintf(stderr, "usage: %s CHECKPOINT\n", argv[0]);
    return 2;
  }
  rc = glide_checkpoint_open(argv[1], &checkpoint);
  if (rc == GLIDE_OK) rc = glide_checkpoint_get_info(checkpoint, &info);
  if (rc != GLIDE_OK) {
    fprintf(stderr, "%s (%s)\n", glide_error_last(), glide_status_name(rc));
    glide_checkpoint_free(checkpoint); /* NULL when opening failed: allowed */
    return 1;
  }
  printf("format: %s\ntensors: %lu\nparameters: %" PRId64 "\n", info.format_name,
         (unsigned long)info.tensor_count, info.parameter_count);
  for (i = 0; i < info.metadata_count; ++i) {
    const char* key;
    const char* value;
    if (glide_checkpoint_metadata(checkpoint, i, &key, &value) == GLIDE_OK) {
      printf("metadata: %s = %s\n", key, value);
    }
  }
  for (i = 0; i < info.tensor_count && rc == GLIDE_OK; ++i) {
    rc = glide_checkpoint_tensor(checkpoint, i, &tensor);
    if (rc != GLIDE_OK) break;
    printf("%s %s [", tensor.name, tensor.dtype);
    for (d = 0; d < tensor.ndim; ++d) printf("%s%" PRId64, d ? ", " : "", tensor.shape[d]);
    printf("]\n");
  }
  if (rc != GLIDE_OK) fprintf(stderr, "%s\n", glide_error_last());
  glide_checkpoint_free(checkpoint);
  return rc == GLIDE_OK ? 0 : 1;
}
