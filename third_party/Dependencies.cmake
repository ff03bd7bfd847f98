# Finds every dependency from the system (Debian packages installed by
# third_party/install-deps.sh) and fails with the package name to install.

macro(_require_package pkg debian)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "${pkg} not found: run third_party/install-deps.sh (Debian package ${debian})")
  endif()
endmacro()

find_package(Threads REQUIRED)

find_package(Boost 1.74 QUIET COMPONENTS filesystem program_options)
_require_package(Boost "libboost-dev libboost-filesystem-dev libboost-program-options-dev")

find_package(fmt QUIET)
_require_package(fmt libfmt-dev)

find_package(RapidJSON QUIET)
_require_package(RapidJSON rapidjson-dev)
# Debian's RapidJSONConfig.cmake exports a variable, not a target.
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RapidJSON_INCLUDE_DIRS}${RAPIDJSON_INCLUDE_DIRS}")
endif()

if(AUTOSCALE_BUILD_TESTS)
  find_package(GTest QUIET)
  _require_package(GTest "libgtest-dev libgmock-dev")
  include(GoogleTest)
endif()
