/* Tokenizes a prompt with glide's C API: ask for the token count, then fetch the ids, then turn
 * them back into text. Build against an installed glide:
 *   cc -std=c99 c_tokenize.c $(pkg-config --cflags --libs glide) -o c_tokenize */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "glide.h"

static int fail(const char* what, int status) {
  fprintf(stderr, "%s failed (%s): %s\n", what, glide_status_name(status), glide_error_last());
  return 1;
}

int main(int argc, char** argv) {
  const char* prompt = argc > 1 ? argv[1] : "an oil painting of a corgi";
  size_t count = 0;
  int64_t* ids;
  char* text;
  size_t length = 0;
  size_t i;
  int rc;

  rc = glide_tokenize(prompt, NULL, 0, &count); /* size query */
  if (rc != GLIDE_OK) return fail("glide_tokenize", rc);
  ids = malloc((count > 0 ? count : 1) * sizeof *ids);
  if (!ids) return 1;
  rc = glide_tokenize(prompt, ids, count, &count);
  if (rc != GLIDE_OK) {
    free(ids);
    return fail("glide_tokenize", rc);
  }
  printf("glide %s: %lu tokens:", glide_version(), (unsigned long)count);
  for (i = 0; i < count; ++i) printf(" %" PRId64, ids[i]);
  printf("\n");

  rc = glide_detokenize(ids, count, NULL, 0, &length);
  text = rc == GLIDE_OK ? malloc(length + 1) : NULL;
  if (text) rc = glide_detokenize(ids, count, text, length + 1, &length);
  free(ids);
  if (rc != GLIDE_OK) {
    free(text);
    return fail("glide_detokenize", rc);
  }
  printf("decoded: %s\n", text ? text : "");
  free(text);

  /* Failures return a negative status; glide_error_last() says what went wrong. */
  rc = glide_tokenize(NULL, NULL, 0, &count);
  printf("glide_tokenize(NULL) -> %d (%s): %s\n", rc, glide_status_name(rc), glide_error_last());
  return rc == GLIDE_ERROR_INVALID_ARGUMENT ? 0 : 1;
}
