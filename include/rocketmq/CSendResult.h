/* Outcome of a send (C API); passed by value to the asynchronous callbacks. */
#ifndef ROCKETMQ_C_SEND_RESULT_H_
#define ROCKETMQ_C_SEND_RESULT_H_

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum E_CSendStatus_ {
  E_SEND_OK = 0,
  E_SEND_FLUSH_DISK_TIMEOUT = 1,
  E_SEND_FLUSH_SLAVE_TIMEOUT = 2,
  E_SEND_SLAVE_NOT_AVAILABLE = 3
} CSendStatus;

/* 272 bytes on x86-64. */
typedef struct _SendResult_ {
  CSendStatus sendStatus;
  char msgId[MAX_MESSAGE_ID_LENGTH]; /* NUL-terminated */
  long long offset;                  /* queue offset of the stored message */
} CSendResult;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_SEND_RESULT_H_ */
