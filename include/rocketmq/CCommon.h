/* C API of rocketmq-cpp, compatible with the C API of the older rocketmq-client-cpp (same names,
   signatures, enum values and struct layouts), so that programs and wrappers written for it (the
   Python and Go bindings among them) run on this library unchanged. See docs/c-api.md for what each
   function does here and which ones return NOT_SUPPORT_NOW. Plain C (C99 and later); every function
   has C linkage. */
#ifndef ROCKETMQ_C_COMMON_H_
#define ROCKETMQ_C_COMMON_H_

#include "CTraceModel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_MESSAGE_ID_LENGTH 256
#define MAX_TOPIC_LENGTH 512
#define MAX_BROKER_NAME_ID_LENGTH 256
#define MAX_SDK_VERSION_LENGTH 256
#define DEFAULT_SDK_VERSION "DefaultVersion"

/* What every int-returning function returns. Wrappers hard-code these values. */
typedef enum _CStatus_ {
  OK = 0,
  NULL_POINTER = 1, /* a handle or string argument was NULL (or a message value was refused) */
  MALLOC_FAILED = 2,
  PRODUCER_ERROR_CODE_START = 10,
  PRODUCER_START_FAILED = 10, /* also: a producer setting refused */
  PRODUCER_SEND_SYNC_FAILED = 11,
  PRODUCER_SEND_ONEWAY_FAILED = 12,
  PRODUCER_SEND_ORDERLY_FAILED = 13,
  PRODUCER_SEND_ASYNC_FAILED = 14,
  PRODUCER_SEND_ORDERLYASYNC_FAILED = 15,
  PRODUCER_SEND_TRANSACTION_FAILED = 16,

  PUSHCONSUMER_ERROR_CODE_START = 20,
  PUSHCONSUMER_START_FAILED = 20, /* also: a push consumer setting or subscription refused */

  PULLCONSUMER_ERROR_CODE_START = 30,
  PULLCONSUMER_START_FAILED = 30,
  PULLCONSUMER_FETCH_MQ_FAILED = 31,
  PULLCONSUMER_FETCH_MESSAGE_FAILED = 32,

  Not_Support = 500,
  NOT_SUPPORT_NOW = -1 /* this library does not offer the function (yet): see docs/c-api.md */
} CStatus;

typedef enum _CLogLevel_ {
  E_LOG_LEVEL_FATAL = 1,
  E_LOG_LEVEL_ERROR = 2,
  E_LOG_LEVEL_WARN = 3,
  E_LOG_LEVEL_INFO = 4,
  E_LOG_LEVEL_DEBUG = 5,
  E_LOG_LEVEL_TRACE = 6,
  E_LOG_LEVEL_LEVEL_NUM = 7
} CLogLevel;

/* Marks the exported functions (the library is built with hidden visibility). */
#if defined(__GNUC__) || defined(__clang__)
#define ROCKETMQCLIENT_API __attribute__((visibility("default")))
#else
#define ROCKETMQCLIENT_API
#endif

typedef enum _CMessageModel_ { BROADCASTING = 0, CLUSTERING = 1 } CMessageModel;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_COMMON_H_ */
