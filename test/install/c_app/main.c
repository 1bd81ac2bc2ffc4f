/* Built outside the source tree as C11 against an installed librocketmq: the C API headers must be
   plain, self-contained C, and its functions reachable (no broker needed for what this calls). */
#include <rocketmq/CErrorMessage.h>
#include <rocketmq/CMessage.h>
#include <rocketmq/CProducer.h>
#include <rocketmq/CPullConsumer.h>
#include <rocketmq/CPushConsumer.h>

#include <stdio.h>
#include <string.h>

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
