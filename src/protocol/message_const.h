#pragma once

#include <cstdint>

// Constants of the RocketMQ message model (docs/protocol.md §6): well-known property keys
// (COMMON/message/MessageConst.java), the properties-string separators and the sysFlag bits
// (COMMON/sysflag/MessageSysFlag.java).
namespace rocketmq::protocol {

namespace message_property {

inline constexpr char kTags[] = "TAGS";
// Index keys, separated by kKeySeparator.
inline constexpr char kKeys[] = "KEYS";
inline constexpr char kKeySeparator[] = " ";
// The client-assigned message id (see UniqueIdGenerator).
inline constexpr char kUniqKey[] = "UNIQ_KEY";
inline constexpr char kWaitStoreMsgOk[] = "WAIT";
inline constexpr char kDelayTimeLevel[] = "DELAY";
inline constexpr char kRetryTopic[] = "RETRY_TOPIC";
inline constexpr char kRealTopic[] = "REAL_TOPIC";
inline constexpr char kRealQueueId[] = "REAL_QID";
inline constexpr char kOriginMessageId[] = "ORIGIN_MESSAGE_ID";
inline constexpr char kReconsumeTime[] = "RECONSUME_TIME";
inline constexpr char kMaxReconsumeTimes[] = "MAX_RECONSUME_TIMES";
inline constexpr char kConsumeStartTimestamp[] = "CONSUME_START_TIME";
// Set by the client on pulled messages, not by the broker.
inline constexpr char kMinOffset[] = "MIN_OFFSET";
inline constexpr char kMaxOffset[] = "MAX_OFFSET";
inline constexpr char kTransactionPrepared[] = "TRAN_MSG";
inline constexpr char kProducerGroup[] = "PGROUP";
inline constexpr char kTransactionId[] = "__transactionId__";
inline constexpr char kTransactionCheckTimes[] = "TRANSACTION_CHECK_TIMES";
inline constexpr char kCheckImmunityTimeInSeconds[] = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr char kInstanceId[] = "INSTANCE_ID";
inline constexpr char kTimerDeliverMs[] = "TIMER_DELIVER_MS";
inline constexpr char kTimerDelayMs[] = "TIMER_DELAY_MS";
inline constexpr char kTimerDelaySec[] = "TIMER_DELAY_SEC";
inline constexpr char kInnerNum[] = "INNER_NUM";
inline constexpr char kInnerBase[] = "INNER_BASE";
inline constexpr char kCluster[] = "CLUSTER";
inline constexpr char kShardingKey[] = "__SHARDINGKEY";
inline constexpr char kMsgRegion[] = "MSG_REGION";
inline constexpr char kTraceSwitch[] = "TRACE_ON";
inline constexpr char kCorrelationId[] = "CORRELATION_ID";
inline constexpr char kReplyToClient[] = "REPLY_TO_CLIENT";
inline constexpr char kMessageTtl[] = "TTL";
inline constexpr char kMessageType[] = "MSG_TYPE";
inline constexpr char kDlqOriginTopic[] = "DLQ_ORIGIN_TOPIC";
inline constexpr char kDlqOriginMessageId[] = "DLQ_ORIGIN_MESSAGE_ID";
inline constexpr char kCrc32[] = "__CRC32#";

// Separators of the properties string (§6.2): name 0x01 value 0x02.
inline constexpr char kNameValueSeparator = '\x01';
inline constexpr char kPropertySeparator = '\x02';

}  // namespace message_property

namespace sys_flag {

inline constexpr std::int32_t kCompressed = 0x1;
inline constexpr std::int32_t kMultiTags = 0x2;
inline constexpr std::int32_t kTransactionNotType = 0x0;
inline constexpr std::int32_t kTransactionPreparedType = 0x4;
inline constexpr std::int32_t kTransactionCommitType = 0x8;
inline constexpr std::int32_t kTransactionRollbackType = 0xC;
inline constexpr std::int32_t kTransactionTypeMask = 0xC;
inline constexpr std::int32_t kBornHostV6 = 0x10;
inline constexpr std::int32_t kStoreHostV6 = 0x20;
inline constexpr std::int32_t kNeedUnwrap = 0x40;
inline constexpr std::int32_t kInnerBatch = 0x80;
// Compression type lives in bits 8-10; type 0 also means zlib (pre-5.x brokers and clients).
inline constexpr std::int32_t kCompressionTypeMask = 0x700;
inline constexpr std::int32_t kCompressionLz4Type = 0x100;
inline constexpr std::int32_t kCompressionZstdType = 0x200;
inline constexpr std::int32_t kCompressionZlibType = 0x300;

}  // namespace sys_flag

// Stored-record magic codes (§6.1). V2 widens the topic length from int8 to int16.
inline constexpr std::int32_t kMessageMagicCodeV1 = static_cast<std::int32_t>(0xDAA320A7u);
inline constexpr std::int32_t kMessageMagicCodeV2 = static_cast<std::int32_t>(0xDAA320ABu);
inline constexpr std::int32_t kBlankMagicCode = static_cast<std::int32_t>(0xCBD43194u);

}  // namespace rocketmq::protocol
