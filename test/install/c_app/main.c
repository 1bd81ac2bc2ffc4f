/* Built outside the source tree as C11 against an installed librocketmq: the C API headers must be
   plain, self-contained C, and its functions reachable (no broker needed for what this calls). */
#include <rocketmq/CErrorMessage.h>
#include <rocketmq/CMessage.h>
#include <rocketmq/CProducer.h>
#include <rocketmq/CPullConsumer.h>
#include <rocketmq/CPushConsumer.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The C compiler lays the structs out as src/capi/layout.cpp pins them for the C++ one. */
#if defined(__x86_64__)
_Static_assert(sizeof(CSendResult) == 272 && offsetof(CSendResult, offset) == 264, "CSendResult");
_Static_assert(sizeof(CMQException) == 904 && offsetof(CMQException, type) == 776, "CMQException");
_Static_assert(sizeof(CMessageQueue) == 772 && offsetof(CMessageQueue, queueId) == 768, "CMessageQueue");
_Static_assert(sizeof(CPullResult) == 56 && offsetof(CPullResult, pData) == 48, "CPullResult");
#endif

int main(void) {
  CProducer* producer = CreateProducer("install_c_app");
  CMessage* msg = CreateMessage("TopicTest");
  CSendResult result;
  if (producer == NULL || msg == NULL || SetMessageTags(msg, "TagA") != OK) return 1;
  if (strcmp(GetOriginMessageTags(msg), "TagA") != 0) return 1;
  if (SendMessageSync(producer, msg, &result) != PRODUCER_SEND_SYNC_FAILED) return 1; /* not started */
  printf("%s, C API error: %s\n", ShowProducerVersion(producer), GetLatestErrorMessage());
  DestroyMessage(msg);
  DestroyProducer(producer);
  return 0;
}
