// The C structs are an ABI shared with programs and wrappers built for the older client (Python's
// ctypes declares them field by field): their sizes and offsets on x86-64 must not move.
#include <cstddef>
#include <type_traits>

#include "rocketmq/CMQException.h"
#include "rocketmq/CMessageQueue.h"
#include "rocketmq/CPullResult.h"
#include "rocketmq/CPushConsumer.h"
#include "rocketmq/CSendResult.h"
#include "rocketmq/CTransactionStatus.h"

#if defined(__x86_64__)
static_assert(sizeof(CSendResult) == 272, "CSendResult size");
static_assert(offsetof(CSendResult, sendStatus) == 0, "CSendResult::sendStatus");
static_assert(offsetof(CSendResult, msgId) == 4, "CSendResult::msgId");
static_assert(offsetof(CSendResult, offset) == 264, "CSendResult::offset");

static_assert(sizeof(CMQException) == 904, "CMQException size");
static_assert(offsetof(CMQException, error) == 0, "CMQException::error");
static_assert(offsetof(CMQException, line) == 4, "CMQException::line");
static_assert(offsetof(CMQException, file) == 8, "CMQException::file");
static_assert(offsetof(CMQException, msg) == 264, "CMQException::msg");
static_assert(offsetof(CMQException, type) == 776, "CMQException::type");

static_assert(sizeof(CMessageQueue) == 772, "CMessageQueue size");
static_assert(offsetof(CMessageQueue, topic) == 0, "CMessageQueue::topic");
static_assert(offsetof(CMessageQueue, brokerName) == 512, "CMessageQueue::brokerName");
static_assert(offsetof(CMessageQueue, queueId) == 768, "CMessageQueue::queueId");

static_assert(sizeof(CPullResult) == 56, "CPullResult size");
static_assert(offsetof(CPullResult, pullStatus) == 0, "CPullResult::pullStatus");
static_assert(offsetof(CPullResult, nextBeginOffset) == 8, "CPullResult::nextBeginOffset");
static_assert(offsetof(CPullResult, minOffset) == 16, "CPullResult::minOffset");
static_assert(offsetof(CPullResult, maxOffset) == 24, "CPullResult::maxOffset");
static_assert(offsetof(CPullResult, msgFoundList) == 32, "CPullResult::msgFoundList");
static_assert(offsetof(CPullResult, size) == 40, "CPullResult::size");
static_assert(offsetof(CPullResult, pData) == 48, "CPullResult::pData");
#endif

// Enum values wrappers hard-code; enums are int-sized (passed and returned as C int).
static_assert(sizeof(CStatus) == sizeof(int) && sizeof(CSendStatus) == sizeof(int), "enums are ints");
static_assert(OK == 0 && NULL_POINTER == 1 && MALLOC_FAILED == 2 && PRODUCER_START_FAILED == 10 &&
                  PRODUCER_SEND_SYNC_FAILED == 11 && PRODUCER_SEND_ONEWAY_FAILED == 12 &&
                  PRODUCER_SEND_ORDERLY_FAILED == 13 && PRODUCER_SEND_ASYNC_FAILED == 14 &&
                  PRODUCER_SEND_ORDERLYASYNC_FAILED == 15 && PRODUCER_SEND_TRANSACTION_FAILED == 16 &&
                  PUSHCONSUMER_START_FAILED == 20 && PULLCONSUMER_START_FAILED == 30 &&
                  PULLCONSUMER_FETCH_MQ_FAILED == 31 && PULLCONSUMER_FETCH_MESSAGE_FAILED == 32 &&
                  Not_Support == 500 && NOT_SUPPORT_NOW == -1,
              "CStatus values");
static_assert(E_LOG_LEVEL_FATAL == 1 && E_LOG_LEVEL_TRACE == 6 && E_LOG_LEVEL_LEVEL_NUM == 7,
              "CLogLevel values");
static_assert(BROADCASTING == 0 && CLUSTERING == 1 && OPEN == 0 && CLOSE == 1, "CMessageModel, CTraceModel");
static_assert(E_SEND_OK == 0 && E_SEND_SLAVE_NOT_AVAILABLE == 3, "CSendStatus values");
static_assert(E_COMMIT_TRANSACTION == 0 && E_ROLLBACK_TRANSACTION == 1 && E_UNKNOWN_TRANSACTION == 2,
              "CTransactionStatus values");
static_assert(E_FOUND == 0 && E_BROKER_TIMEOUT == 4, "CPullStatus values");
static_assert(E_CONSUME_SUCCESS == 0 && E_RECONSUME_LATER == 1, "CConsumeStatus values");
