# Decides whether the Python module is built: GLIDE_BUILD_PYTHON=AUTO (the default) builds it when
# Python's headers and pybind11 are found and warns when they are not; ON requires them; OFF
# skips it. Sets GLIDE_PYTHON_ENABLED.
set(GLIDE_PYTHON_ENABLED OFF)
if(GLIDE_BUILD_PYTHON STREQUAL "AUTO")
  set(glide_python_required "")
elseif(GLIDE_BUILD_PYTHON)
  set(glide_python_required REQUIRED)
else()
  message(STATUS "glide: Python module off (GLIDE_BUILD_PYTHON=${GLIDE_BUILD_PYTHON})")
  return()
endif()

find_package(Python 3.7 COMPONENTS Interpreter Development.Module ${glide_python_required})
if(Python_FOUND)
  find_package(pybind11 2.6 CONFIG ${glide_python_required})
endif()
if(Python_FOUND AND pybind11_FOUND)
  set(GLIDE_PYTHON_ENABLED ON)
  message(STATUS "glide: Python module for ${Python_EXECUTABLE} (${Python_VERSION}), "
                 "pybind11 ${pybind11_VERSION}")
else()
  if(NOT Python_FOUND)
    set(glide_python_why "no Python 3 interpreter with development headers was found "
                         "(Python_EXECUTABLE=${Python_EXECUTABLE})")
  else()
    set(glide_python_why "pybind11 was not found for ${Python_EXECUTABLE}")
  endif()
  # A warning, so it shows even when the configure output is hidden (scripts/build.sh).
  message(WARNING "glide: the Python module is skipped: ${glide_python_why}. Install "
                  "python3-dev and pybind11-dev (scripts/setup.sh does), or pass "
                  "-DGLIDE_BUILD_PYTHON=OFF to build without it.")
endif()
