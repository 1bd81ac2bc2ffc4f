/* Producer (C API). Create, set options in any order, StartProducer, send, ShutdownProducer,
   DestroyProducer. Sends may come from several threads at once. */
#ifndef ROCKETMQ_C_PRODUCER_H_
#define ROCKETMQ_C_PRODUCER_H_

#include "CBatchMessage.h"
#include "CMQException.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CSendResult.h"
#include "CTransactionStatus.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CProducer CProducer;

/* Returns the index (0..size-1) of the queue an ordered send goes to. Runs on the sending thread. */
typedef int (*QueueSelectorCallback)(int size, CMessage* msg, void* arg);
/* Asynchronous send outcome: called once per send, on one of the library's callback threads. */
typedef void (*CSendSuccessCallback)(CSendResult result);
typedef void (*CSendExceptionCallback)(CMQException e);
typedef void (*COnSendSuccessCallback)(CSendResult result, CMessage* msg, void* userData);
typedef void (*COnSendExceptionCallback)(CMQException e, CMessage* msg, void* userData);
typedef CTransactionStatus (*CLocalTransactionCheckerCallback)(CProducer* producer, CMessageExt* msg,
                                                               void* data);
typedef CTransactionStatus (*CLocalTransactionExecutorCallback)(CProducer* producer, CMessage* msg,
                                                                void* data);

ROCKETMQCLIENT_API CProducer* CreateProducer(const char* groupId);
ROCKETMQCLIENT_API CProducer* CreateOrderlyProducer(const char* groupId);
ROCKETMQCLIENT_API CProducer* CreateTransactionProducer(const char* groupId,
                                                        CLocalTransactionCheckerCallback callback,
                                                        void* userData);
ROCKETMQCLIENT_API int DestroyProducer(CProducer* producer);
ROCKETMQCLIENT_API int StartProducer(CProducer* producer);
ROCKETMQCLIENT_API int ShutdownProducer(CProducer* producer);
ROCKETMQCLIENT_API const char* ShowProducerVersion(CProducer* producer);

ROCKETMQCLIENT_API int SetProducerNameServerAddress(CProducer* producer, const char* namesrv);
ROCKETMQCLIENT_API int SetProducerNameServerDomain(CProducer* producer, const char* domain);
ROCKETMQCLIENT_API int SetProducerGroupName(CProducer* producer, const char* groupName);
ROCKETMQCLIENT_API int SetProducerInstanceName(CProducer* producer, const char* instanceName);
ROCKETMQCLIENT_API int SetProducerSessionCredentials(CProducer* producer, const char* accessKey,
                                                     const char* secretKey, const char* onsChannel);
ROCKETMQCLIENT_API int SetProducerLogPath(CProducer* producer, const char* logPath);
ROCKETMQCLIENT_API int SetProducerLogFileNumAndSize(CProducer* producer, int fileNum, long fileSize);
ROCKETMQCLIENT_API int SetProducerLogLevel(CProducer* producer, CLogLevel level);
ROCKETMQCLIENT_API int SetProducerSendMsgTimeout(CProducer* producer, int timeout);
ROCKETMQCLIENT_API int SetProducerCompressLevel(CProducer* producer, int level);
ROCKETMQCLIENT_API int SetProducerMaxMessageSize(CProducer* producer, int size);
ROCKETMQCLIENT_API int SetProducerMessageTrace(CProducer* producer, CTraceModel openTrace);
ROCKETMQCLIENT_API int SetProducerSsl(CProducer* producer, int enableSsl);
ROCKETMQCLIENT_API int SetProducerSslPropertyFile(CProducer* producer, const char* sslPropertyFile);

ROCKETMQCLIENT_API int SendMessageSync(CProducer* producer, CMessage* msg, CSendResult* result);
ROCKETMQCLIENT_API int SendBatchMessage(CProducer* producer, CBatchMessage* msg, CSendResult* result);
ROCKETMQCLIENT_API int SendMessageAsync(CProducer* producer, CMessage* msg,
                                        CSendSuccessCallback cSendSuccessCallback,
                                        CSendExceptionCallback cSendExceptionCallback);
/* msg must stay alive until one of the callbacks ran (they receive it). */
ROCKETMQCLIENT_API int SendAsync(CProducer* producer, CMessage* msg,
                                 COnSendSuccessCallback cSendSuccessCallback,
                                 COnSendExceptionCallback cSendExceptionCallback, void* userData);
ROCKETMQCLIENT_API int SendMessageOneway(CProducer* producer, CMessage* msg);
ROCKETMQCLIENT_API int SendMessageOnewayOrderly(CProducer* producer, CMessage* msg,
                                                QueueSelectorCallback selector, void* arg);
ROCKETMQCLIENT_API int SendMessageOrderly(CProducer* producer, CMessage* msg, QueueSelectorCallback callback,
                                          void* arg, int autoRetryTimes, CSendResult* result);
ROCKETMQCLIENT_API int SendMessageOrderlyAsync(CProducer* producer, CMessage* msg,
                                               QueueSelectorCallback callback, void* arg,
                                               CSendSuccessCallback cSendSuccessCallback,
                                               CSendExceptionCallback cSendExceptionCallback);
/* Every message with the same sharding key goes to the same queue, in send order. */
ROCKETMQCLIENT_API int SendMessageOrderlyByShardingKey(CProducer* producer, CMessage* msg,
                                                       const char* shardingKey, CSendResult* result);
ROCKETMQCLIENT_API int SendMessageTransaction(CProducer* producer, CMessage* msg,
                                              CLocalTransactionExecutorCallback callback, void* userData,
                                              CSendResult* result);

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_PRODUCER_H_ */
