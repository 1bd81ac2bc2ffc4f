/* Failure of an asynchronous send (C API), passed by value to the exception callbacks. */
#ifndef ROCKETMQ_C_MQ_EXCEPTION_H_
#define ROCKETMQ_C_MQ_EXCEPTION_H_

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_EXEPTION_MSG_LENGTH 512
#define MAX_EXEPTION_FILE_LENGTH 256
#define MAX_EXEPTION_TYPE_LENGTH 128

/* 904 bytes on x86-64. Every text is NUL-terminated (cut to fit). */
typedef struct _CMQException_ {
  int error; /* the broker's response code, or the CStatus of the failed call */
  int line;
  char file[MAX_EXEPTION_FILE_LENGTH];
  char msg[MAX_EXEPTION_MSG_LENGTH];
  char type[MAX_EXEPTION_TYPE_LENGTH]; /* the error class: ClientError, BrokerError, TimeoutError... */
} CMQException;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_MQ_EXCEPTION_H_ */
