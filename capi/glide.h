/* glide: the C ABI. One header, plain C99, no torch or C++ types.
 *
 * Rules (docs/c-api.md has the full reference):
 * - Functions that can fail return int: GLIDE_OK (0) or a negative glide_status. Outputs are
 *   pointer arguments; on failure they are left as documented (handles set to NULL).
 * - glide_error_last() is this thread's message about the last failed call; each fallible call
 *   clears it first. It never returns NULL.
 * - Parameter structs start with `uint32_t version`, are filled by glide_<x>_params_init(&p,
 *   GLIDE_<X>_PARAMS_VERSION), and only ever gain fields at their end.
 * - The library frees what it allocates: every _create/_open has its _free.
 * - Strings are UTF-8 and NUL-terminated.
 */
#ifndef GLIDE_H
#define GLIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(GLIDE_BUILDING_LIBRARY)
#define GLIDE_API __declspec(dllexport)
#else
#define GLIDE_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define GLIDE_API __attribute__((visibility("default")))
#else
#define GLIDE_API
#endif

/* The header's version. glide_version() gives the library's, which may be newer. A compile-time
 * check in the library keeps these equal to the CMake project version. */
#define GLIDE_VERSION_MAJOR 0
#define GLIDE_VERSION_MINOR 1
#define GLIDE_VERSION_PATCH 0
#define GLIDE_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ------------------------------------------------------------------------------ */

/* Values are the negated glide::Status codes of the C++ API and never change. */
typedef enum glide_status {
  GLIDE_OK = 0,
  GLIDE_ERROR_INVALID_ARGUMENT = -1, /* a NULL pointer, a value out of range, a bad option */
  GLIDE_ERROR_NOT_FOUND = -2,        /* a file, key or name that does not exist */
  GLIDE_ERROR_INVALID_FORMAT = -3,   /* a file or string that is not what it claims to be */
  GLIDE_ERROR_UNSUPPORTED = -4,      /* well-formed, but not implemented (in this build) */
  GLIDE_ERROR_OUT_OF_MEMORY = -5,
  GLIDE_ERROR_CANCELLED = -6,        /* a progress callback returned false */
  GLIDE_ERROR_IO = -7,               /* the operating system refused a read or write */
  GLIDE_ERROR_INTERNAL = -8,         /* a bug in glide */
  GLIDE_ERROR_VERSION = -9,          /* a struct's `version` that this library does not know */
  GLIDE_ERROR_BUFFER_TOO_SMALL = -10 /* an output array too short; the size needed is returned */
} glide_status;

/* This thread's message about the last failed glide call, naming the function and the argument,
 * file or value at fault; "" when the last fallible call succeeded. Never NULL. Valid until the
 * next glide call on this thread. */
GLIDE_API const char* glide_error_last(void);

/* "ok", "invalid argument", ...; "unknown status" for any other value. Never NULL, static. */
GLIDE_API const char* glide_status_name(int status);

/* ---- Versions ---------------------------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH". Static storage. */
GLIDE_API const char* glide_version(void);

/* ---- Tokenizer (GPT-2 byte-level BPE as GLIDE uses it; thread-safe) ------------------------ */

/* Token ids of a UTF-8 prompt. *count receives the number of ids. With ids == NULL and
 * capacity == 0 it only reports the count. When capacity is less than the count, nothing is
 * written, *count holds the count needed and GLIDE_ERROR_BUFFER_TOO_SMALL is returned. Text that
 * is not UTF-8 gives GLIDE_ERROR_INVALID_ARGUMENT with the byte offset in the message. */
GLIDE_API int glide_tokenize(const char* utf8, int64_t* ids, size_t capacity, size_t* count);

/* What a model of text context text_ctx (128 for GLIDE) reads: tokens[text_ctx] holds the first
 * text_ctx ids then end tokens; mask[text_ctx] (may be NULL) is true on real tokens. */
GLIDE_API int glide_tokenize_padded(const char* utf8, int64_t text_ctx, int64_t* tokens,
                                    bool* mask);

/* UTF-8 text of ids (invalid byte sequences become U+FFFD). *length receives the text's length
 * without the terminating NUL; text needs length + 1 bytes. text == NULL with capacity == 0 only
 * reports the length; a short buffer gives GLIDE_ERROR_BUFFER_TOO_SMALL and is left untouched.
 * GPT-2's vocabulary has a token for every byte, NUL included (id 188): use *length, not strlen,
 * when the ids may hold it. */
GLIDE_API int glide_detokenize(const int64_t* ids, size_t count, char* text, size_t capacity,
                               size_t* length);

/* The vocabulary size (50257) and the end-of-text token id (50256). Either may be NULL. */
GLIDE_API int glide_tokenizer_vocab(int64_t* n_vocab, int64_t* end_token);

/* ---- Checkpoints (.pt written by torch.save, .safetensors) -------------------------------- */

typedef struct glide_checkpoint glide_checkpoint;

typedef enum glide_checkpoint_format {
  GLIDE_CHECKPOINT_TORCH_ZIP = 1,
  GLIDE_CHECKPOINT_SAFETENSORS = 2
} glide_checkpoint_format;

#define GLIDE_CHECKPOINT_INFO_VERSION 1
/* Set `version` before the call; the library fills the fields that version has. */
typedef struct glide_checkpoint_info {
  uint32_t version;
  int32_t format;          /* a glide_checkpoint_format */
  const char* format_name; /* "torch-zip" or "safetensors"; static storage */
  size_t tensor_count;
  int64_t parameter_count; /* sum of the tensors' element counts */
  size_t metadata_count;   /* safetensors __metadata__ entries; 0 for .pt */
} glide_checkpoint_info;

#define GLIDE_TENSOR_INFO_VERSION 1
/* Pointers are owned by the checkpoint handle and valid until glide_checkpoint_free. */
typedef struct glide_tensor_info {
  uint32_t version;
  const char* name;     /* the state-dict key */
  const char* dtype;    /* "float32", "float16", "bfloat16", "int64", ... */
  size_t ndim;          /* number of dimensions */
  const int64_t* shape; /* ndim sizes */
  int64_t numel;        /* number of elements */
} glide_tensor_info;

/* Opens a checkpoint, recognising the format from its first bytes. The whole file is read into
 * memory held by the handle, so later changes to the file do not affect it. GLIDE_ERROR_NOT_FOUND
 * for a missing file, GLIDE_ERROR_INVALID_FORMAT for one that is neither format or is damaged
 * (a tensor name or metadata holding a NUL byte, which C strings cannot carry, included),
 * GLIDE_ERROR_IO for one that cannot be read (or shrinks while read), GLIDE_ERROR_INVALID_ARGUMENT
 * for a path that is no regular file (a directory, a FIFO, a device). *checkpoint is NULL on
 * failure. */
GLIDE_API int glide_checkpoint_open(const char* path, glide_checkpoint** checkpoint);
/* NULL is allowed and does nothing. */
GLIDE_API void glide_checkpoint_free(glide_checkpoint* checkpoint);

GLIDE_API int glide_checkpoint_get_info(const glide_checkpoint* checkpoint,
                                        glide_checkpoint_info* info);
/* The index-th tensor in file order, index < tensor_count. Set info->version first. */
GLIDE_API int glide_checkpoint_tensor(const glide_checkpoint* checkpoint, size_t index,
                                      glide_tensor_info* info);
/* The index-th __metadata__ entry (sorted by key); strings owned by the handle. */
GLIDE_API int glide_checkpoint_metadata(const glide_checkpoint* checkpoint, size_t index,
                                        const char** key, const char** value);

/* ---- Images ------------------------------------------------------------------------------ */

/* count images of height x width pixels, channels bytes each (3: RGB, 1: a mask), row-major
 * (count, height, width, channels) with no row padding. Returned by the library (free with
 * glide_images_free), or filled by the caller to pass images in (then the caller owns pixels;
 * never free those). Unversioned: its layout never changes. */
typedef struct glide_images {
  int64_t count;
  int64_t height;
  int64_t width;
  int64_t channels;
  uint8_t* pixels;
} glide_images;

/* Frees images the library returned. NULL is allowed and does nothing. */
GLIDE_API void glide_images_free(glide_images* images);

/* Reads a PNG or JPEG file (told by its bytes, not its name) as one image: channels 3 gives its
 * RGB; channels 1 a mask for glide_inpaint, each pixel the largest of its R, G and B (black:
 * redraw, anything else: keep, as the command line's --mask). Free with glide_images_free;
 * *images is NULL on failure (GLIDE_ERROR_NOT_FOUND, GLIDE_ERROR_INVALID_FORMAT, ...). */
GLIDE_API int glide_images_load(const char* path, int64_t channels, glide_images** images);

/* Writes images (channels 3, or 1 written as gray; at most 16384 pixels a side) as 8-bit PNG
 * files: count 1 to path itself (a name ending in .png), more to NAME-0.png, NAME-1.png, ...
 * beside it (path "out/cat.png": "out/cat-0.png", ...). Every name is checked first: one that
 * exists is refused unless overwrite, as are two names that are one file (a link). All or none: a
 * failure removes the files this call made and restores those it replaced. No parameters are
 * recorded (give glide_generate_params.save_path for images that can be made again). */
GLIDE_API int glide_images_save(const glide_images* images, const char* path, bool overwrite);

/* ---- Generation -------------------------------------------------------------------------- */

/* Called after each denoising step: stage is "base", "upsampler", "inpaint" or
 * "upsampler-inpaint"; step runs 1..total. Return false to cancel: the call then fails with
 * GLIDE_ERROR_CANCELLED. Called on the thread that called glide_generate. A pipeline runs one
 * call at a time: from the callback, glide_generate, glide_upsample, glide_inpaint and
 * glide_pipeline_release_cache on the same pipeline fail with GLIDE_ERROR_UNSUPPORTED, and
 * glide_pipeline_free takes effect when the running call returns. */
typedef bool (*glide_progress_fn)(const char* stage, int64_t step, int64_t total, void* user_data);

#define GLIDE_PIPELINE_PARAMS_VERSION 1
typedef struct glide_pipeline_params {
  uint32_t version;
  /* .pt or .safetensors; NULL: no base stage. Both checkpoints NULL: the shipped default pair
   * (docs/shapes-model.md), found in $GLIDE_MODEL_DIR when it is set and not empty (there only),
   * else in the installed data directory or the source tree's models/ (GLIDE_ERROR_NOT_FOUND
   * naming where it looked when absent). */
  const char* base_checkpoint;
  /* NULL: the checkpoint's glide.model_config metadata, else the official preset its keys and
   * shapes match. Or a preset ("base", "base-inpaint") or ModelConfig JSON, whose
   * "diffusion_steps", "noise_schedule" and "prediction" keys, when present, set the stage's
   * diffusion over the checkpoint's (as models.json and the recipes name them). JSON naming
   * only those keeps the checkpoint's model config; JSON naming any model option is the whole
   * config, the "base" preset's values filling what it leaves out (as the reference's). */
  const char* base_config;
  const char* upsampler_checkpoint; /* NULL: no upsampler stage */
  const char* upsampler_config;     /* NULL, "upsampler", "upsampler-inpaint" or JSON, as above */
  const char* device;               /* where the models live: "cpu", "cuda", "cuda:N" */
  const char* dtype;                /* "float32", "float16" (CUDA), "bfloat16" */
  /* LibTorch's CPU threads (1 to 1024), for the whole process (every pipeline), set once the
   * pipeline is made; 0 keeps the current count (one per core unless set before). */
  int32_t num_threads;
} glide_pipeline_params;

/* Fills the defaults: no checkpoints, NULL configs, "cpu", "float32", 0.
 * version must be between 1 and GLIDE_PIPELINE_PARAMS_VERSION (else GLIDE_ERROR_VERSION). */
GLIDE_API int glide_pipeline_params_init(glide_pipeline_params* params, uint32_t version);

/* How one denoising stage samples. Part of glide_generate_params' layout, so it never changes;
 * per-stage options added later are appended to glide_generate_params. */
typedef struct glide_stage_params {
  const char* sampler;      /* "ddpm", "ddim", "dpm++2m", "dpm++2m_sde", "heun", "euler_a" */
  const char* respacing;    /* "100", "fast27", "ddim50", "10,20,30", ... */
  double eta;               /* < 0: the sampler's default (ddim 0, euler_a 1, dpm++2m_sde 1) */
  bool guided;              /* classifier-free guidance on this stage */
  double guidance_scale;    /* 1: conditional model alone; 0: unconditional alone */
  double guidance_rescale;  /* in [0, 1] (Lin et al. 2023) */
  const char* thresholding; /* "clip" (GLIDE's), "dynamic" or "none" */
  double dynamic_percentile;
  double temperature; /* x_T ~ N(0, temperature^2 I) */
} glide_stage_params;

#define GLIDE_GENERATE_PARAMS_VERSION 2
typedef struct glide_generate_params {
  uint32_t version;
  /* One prompt per image, or a single prompt for all batch_size images. */
  const char* const* prompts;
  size_t prompt_count;
  int64_t batch_size;
  const char* negative_prompt; /* the guidance's unconditional prompt; NULL or "" for none */
  glide_stage_params base;
  glide_stage_params upsampler;
  bool upsample; /* run the upsampler after the base stage */
  /* Image k of a batch uses seed + k, so it equals that image generated alone (within one
   * 8-bit level: batched kernels sum in another order). */
  uint64_t seed;
  const char* device;         /* NULL: the pipeline's */
  const char* dtype;          /* NULL: the pipeline's */
  glide_progress_fn progress; /* may be NULL */
  void* progress_user_data;
  /* Version 2. NULL: nothing is written. Else (a name ending in .png) the call also writes its
   * images as PNG files named as glide_images_save names them, each holding the record that makes
   * it again (its parameters, and the model files with their SHA-256: docs/cli.md, "PNG text
   * chunks"), which `glide generate --from FILE` and Python's glide.read_parameters read. The files
   * are checked before any sampling: one that exists is refused unless overwrite. Should writing
   * fail after sampling, the call returns the failure and still sets *images to the images made
   * (free them): the only failure that leaves *images set. */
  const char* save_path;
  bool overwrite; /* replace existing files at save_path */
} glide_generate_params;

/* Fills the reference's defaults: base ddpm "100", guided at scale 3.0, clip thresholding,
 * temperature 1.0; upsampler ddim "fast27", unguided, temperature 0.997; upsample true; seed 0;
 * batch_size 1; no prompts, no callback, no save_path, overwrite false. version must be between 1
 * and GLIDE_GENERATE_PARAMS_VERSION (else GLIDE_ERROR_VERSION). */
GLIDE_API int glide_generate_params_init(glide_generate_params* params, uint32_t version);

/* Checks params without running anything: GLIDE_OK, or the first problem found. A respacing is
 * checked for its form only: whether it fits a model's step count ("1001" of 1000) is known
 * when a pipeline runs it. */
GLIDE_API int glide_generate_params_validate(const glide_generate_params* params);

typedef struct glide_pipeline glide_pipeline;

/* Loads the models (with no checkpoint named, the shipped shapes pair). *pipeline is NULL on
 * failure. A pipeline may be used by one thread at a time. */
GLIDE_API int glide_pipeline_create(const glide_pipeline_params* params, glide_pipeline** pipeline);
/* NULL is allowed and does nothing. From a progress callback of this pipeline's running call,
 * the pipeline is freed when that call returns. */
GLIDE_API void glide_pipeline_free(glide_pipeline* pipeline);

/* A pipeline keeps each stage's network bound from one call to the next; on CUDA a call with the
 * previous call's batch size replays the graphs that call captured. This frees them and the
 * device memory they hold; the next call captures afresh. */
GLIDE_API int glide_pipeline_release_cache(glide_pipeline* pipeline);

/* Text to images: the upsampler's output when params->upsample, else the base stage's. *images
 * is NULL on failure; free it with glide_images_free. */
GLIDE_API int glide_generate(glide_pipeline* pipeline, const glide_generate_params* params,
                             glide_images** images);

/* Upsamples caller-owned RGB images (channels 3) of any size up to 4096 a side, each resized to
 * the upsampler's input size: one output image per input image (params->batch_size and
 * params->base are not read), one prompt per image or one for all. */
GLIDE_API int glide_upsample(glide_pipeline* pipeline, const glide_generate_params* params,
                             const glide_images* input, glide_images** images);

/* Inpainting with inpaint models: image is RGB of any size (resized to each stage's); mask has
 * channels 1, the image's aspect ratio (any scale), nonzero = keep. image and mask each have
 * count 1 (shared by the batch) or params->batch_size. */
GLIDE_API int glide_inpaint(glide_pipeline* pipeline, const glide_generate_params* params,
                            const glide_images* image, const glide_images* mask,
                            glide_images** images);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GLIDE_H */
