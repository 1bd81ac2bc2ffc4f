// CPullConsumer.h: rocketmq-cpp has no pull consumer in its C++ API yet, so every function fails
// with NOT_SUPPORT_NOW (creation with NULL) and says so in GetLatestErrorMessage.
#include "capi/handle.h"
#include "rocketmq/CPullConsumer.h"

namespace {

constexpr const char* kWhy =
    "the pull consumer is not supported by rocketmq-cpp yet (NOT_SUPPORT_NOW): use the "
    "push consumer (CPushConsumer.h)";

int unsupported(const char* function) { return rocketmq::capi::fail(NOT_SUPPORT_NOW, function, kWhy); }

}  // namespace

extern "C" CPullConsumer* CreatePullConsumer(const char* groupId) {
  unsupported("CreatePullConsumer");
  return nullptr;
}
extern "C" int DestroyPullConsumer(CPullConsumer* consumer) { return unsupported("DestroyPullConsumer"); }
extern "C" int StartPullConsumer(CPullConsumer* consumer) { return unsupported("StartPullConsumer"); }
extern "C" int ShutdownPullConsumer(CPullConsumer* consumer) { return unsupported("ShutdownPullConsumer"); }
extern "C" const char* ShowPullConsumerVersion(CPullConsumer* consumer) {
  unsupported("ShowPullConsumerVersion");
  return nullptr;
}
extern "C" int SetPullConsumerGroupID(CPullConsumer* consumer, const char* groupId) {
  return unsupported("SetPullConsumerGroupID");
}
extern "C" const char* GetPullConsumerGroupID(CPullConsumer* consumer) {
  unsupported("GetPullConsumerGroupID");
  return nullptr;
}
extern "C" int SetPullConsumerNameServerAddress(CPullConsumer* consumer, const char* namesrv) {
  return unsupported("SetPullConsumerNameServerAddress");
}
extern "C" int SetPullConsumerNameServerDomain(CPullConsumer* consumer, const char* domain) {
  return unsupported("SetPullConsumerNameServerDomain");
}
extern "C" int SetPullConsumerSessionCredentials(CPullConsumer* consumer, const char* accessKey,
                                                 const char* secretKey, const char* channel) {
  return unsupported("SetPullConsumerSessionCredentials");
}
extern "C" int SetPullConsumerLogPath(CPullConsumer* consumer, const char* logPath) {
  return unsupported("SetPullConsumerLogPath");
}
extern "C" int SetPullConsumerLogFileNumAndSize(CPullConsumer* consumer, int fileNum, long fileSize) {
  return unsupported("SetPullConsumerLogFileNumAndSize");
}
extern "C" int SetPullConsumerLogLevel(CPullConsumer* consumer, CLogLevel level) {
  return unsupported("SetPullConsumerLogLevel");
}
extern "C" int SetPullConsumerSsl(CPullConsumer* consumer, int enableSsl) {
  return unsupported("SetPullConsumerSsl");
}
extern "C" int SetPullConsumerSslPropertyFile(CPullConsumer* consumer, const char* sslPropertyFile) {
  return unsupported("SetPullConsumerSslPropertyFile");
}
extern "C" int FetchSubscriptionMessageQueues(CPullConsumer* consumer, const char* topic, CMessageQueue** mqs,
                                              int* size) {
  if (mqs != nullptr) *mqs = nullptr;
  if (size != nullptr) *size = 0;
  return unsupported("FetchSubscriptionMessageQueues");
}
extern "C" int ReleaseSubscriptionMessageQueue(CMessageQueue* mqs) {
  return unsupported("ReleaseSubscriptionMessageQueue");
}
// E_BROKER_TIMEOUT, nothing found: the closest status the C API has for "no pull was made".
extern "C" CPullResult Pull(CPullConsumer* consumer, const CMessageQueue* mq, const char* subExpression,
                            long long offset, int maxNums) {
  unsupported("Pull");
  CPullResult result{};
  result.pullStatus = E_BROKER_TIMEOUT;
  return result;
}
extern "C" int ReleasePullResult(CPullResult pullResult) { return unsupported("ReleasePullResult"); }
