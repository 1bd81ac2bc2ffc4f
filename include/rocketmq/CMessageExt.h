/* A received message (C API): valid only during the consume callback that received it. Every
   getter also accepts a CMessage* (cast), answering from what the message holds. Returned strings
   live as long as the message. */
#ifndef ROCKETMQ_C_MESSAGE_EXT_H_
#define ROCKETMQ_C_MESSAGE_EXT_H_

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CMessageExt CMessageExt;

ROCKETMQCLIENT_API const char* GetMessageTopic(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageTags(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageKeys(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageBody(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageBodyLength(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageProperty(CMessageExt* msgExt, const char* key);
ROCKETMQCLIENT_API const char* GetMessageId(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageDelayTimeLevel(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageQueueId(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageReconsumeTimes(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageStoreSize(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageBornTimestamp(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageStoreTimestamp(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageQueueOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageCommitLogOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessagePreparedTransactionOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageStoreHost(CMessageExt* msg);
ROCKETMQCLIENT_API const char* GetMessageBornHost(CMessageExt* msg);

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_MESSAGE_EXT_H_ */
