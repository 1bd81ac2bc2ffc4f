/* A batch of messages of one topic, sent whole by SendBatchMessage (C API). AddMessage copies. */
#ifndef ROCKETMQ_C_BATCH_MESSAGE_H_
#define ROCKETMQ_C_BATCH_MESSAGE_H_

#include "CCommon.h"
#include "CMessage.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CBatchMessage CBatchMessage;

ROCKETMQCLIENT_API CBatchMessage* CreateBatchMessage(void);
ROCKETMQCLIENT_API int AddMessage(CBatchMessage* batchMsg, CMessage* msg);
ROCKETMQCLIENT_API int DestroyBatchMessage(CBatchMessage* batchMsg);

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_BATCH_MESSAGE_H_ */
