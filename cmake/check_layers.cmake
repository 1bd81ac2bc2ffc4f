# The layer rule, checked on every build (cmake -P cmake/check_layers.cmake <source dir>): a file in
# src/<layer>/ may include headers of its own layer and of the layers below it only.
#
#   common                    errors, logging, pools, scheduler: uses nothing else of ours
#   protocol                  wire formats                                   (common)
#   remoting, filter          transport; subscription expressions            (common, protocol)
#   client                    client instance, broker API, ACL               (+ remoting, filter)
#   consumer, producer        the engines behind the facades                 (+ client; not each other)
#   capi                      the C API (include/rocketmq/C*.h): on top, and a thin layer over
#                             the public C++ API only                        (no other layer)
#
# The public headers (include/rocketmq/) are below everything and may be used anywhere.
set(allowed_common common)
set(allowed_protocol common protocol)
set(allowed_remoting common protocol remoting)
set(allowed_filter common protocol filter)
set(allowed_client common protocol remoting filter client)
set(allowed_consumer common protocol remoting filter client consumer)
set(allowed_producer common protocol remoting filter client producer)
set(allowed_capi capi)
set(layers common protocol remoting filter client consumer producer capi)

set(source_dir ${CMAKE_ARGV3})
set(violations "")
foreach(layer ${layers})
  file(GLOB_RECURSE files ${source_dir}/src/${layer}/*.h ${source_dir}/src/${layer}/*.cpp)
  foreach(file ${files})
    file(STRINGS ${file} includes REGEX "^#include \"[a-z_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" used "${line}")
      list(FIND layers ${used} known)
      if(known EQUAL -1)
        continue()  # rocketmq/ (public headers) and anything that is not a layer
      endif()
      list(FIND allowed_${layer} ${used} permitted)
      if(permitted EQUAL -1)
        file(RELATIVE_PATH relative ${source_dir} ${file})
        string(APPEND violations "\n  ${relative}: ${line} (${layer} may use only: ${allowed_${layer}})")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "layer rule broken (see cmake/check_layers.cmake):${violations}")
endif()
