# The Python module's pytest suite (bindings/python/tests) with the interpreter it was built for,
# importing the package from the build tree. The notebook test is its own CTest so its skip (no
# nbclient, no models) shows as a skipped test.
if(TARGET glide_python)
  execute_process(COMMAND "${Python_EXECUTABLE}" -c "import numpy, pytest"
                  RESULT_VARIABLE glide_pytest_missing OUTPUT_QUIET ERROR_QUIET)
  if(glide_pytest_missing)
    message(WARNING "glide: ${Python_EXECUTABLE} lacks numpy or pytest, so the Python tests are "
                    "not registered; install python3-numpy and python3-pytest (scripts/setup.sh)")
  else()
    set(glide_python_env
      "PYTHONPATH=${PROJECT_BINARY_DIR}/bindings/python"
      "GLIDE_DEFAULT_GOLDENS=${GLIDE_DEFAULT_GOLDENS}"
      "GLIDE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      "GLIDE_TEST_NO_LOCKS=$<TARGET_FILE:glide_test_no_locks>"
      "GLIDE_CLI=$<TARGET_FILE:glide_cli>"
      "PYTHONDONTWRITEBYTECODE=1")
    add_test(NAME python
      COMMAND "${Python_EXECUTABLE}" -m pytest -rs -p no:cacheprovider
              --ignore=test_notebook.py "${PROJECT_SOURCE_DIR}/bindings/python/tests"
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/bindings/python/tests")
    add_test(NAME python_notebook
      COMMAND "${Python_EXECUTABLE}" -m pytest -rs -p no:cacheprovider
              "${PROJECT_SOURCE_DIR}/bindings/python/tests/test_notebook.py"
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/bindings/python/tests")
    set_tests_properties(python python_notebook PROPERTIES
      LABELS "python" TIMEOUT 1800 ENVIRONMENT "${glide_python_env}")
    set_tests_properties(python_notebook PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED \\[")
  endif()
endif()
