/* One queue of a topic on one broker (C API). */
#ifndef ROCKETMQ_C_MESSAGE_QUEUE_H_
#define ROCKETMQ_C_MESSAGE_QUEUE_H_

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 772 bytes on x86-64. */
typedef struct _CMessageQueue_ {
  char topic[MAX_TOPIC_LENGTH];
  char brokerName[MAX_BROKER_NAME_ID_LENGTH];
  int queueId;
} CMessageQueue;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_MESSAGE_QUEUE_H_ */
