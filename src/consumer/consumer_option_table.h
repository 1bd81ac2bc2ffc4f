#pragma once

#include "common/option_table.h"

// The options of ConsumerOption (see common/option_table.h): the setters check against these rows,
// the constructor takes its defaults from them, and docs/configuration.md ("ConsumerOption") is
// checked against kConsumerOptionTable by a unit test.
namespace rocketmq::consumer {

namespace option_rows {

using common::OptionKind;
using common::OptionRow;

inline constexpr std::int64_t kMiB = 1024 * 1024;
inline constexpr std::int64_t kHourMillis = 60 * 60 * 1000;

inline constexpr OptionRow kGroupName{
    "group_name", "string", OptionKind::kOther, 0, 0, 0,
    "— (required)", "1..255 of [%|a-zA-Z0-9_-]",
    "the consumer group"};
inline constexpr OptionRow kConsumeThreadMin{
    "consume_thread_min", "int", OptionKind::kInteger, 20, 1, 1000,
    "20", "1..1000",
    "consume threads kept; at most consume_thread_max"};
inline constexpr OptionRow kConsumeThreadMax{
    "consume_thread_max", "int", OptionKind::kInteger, 64, 1, 1000,
    "64", "1..1000",
    "consume threads under backlog; at least consume_thread_min"};
inline constexpr OptionRow kConsumeThreadKeepAlive{
    "consume_thread_keep_alive", "milliseconds", OptionKind::kDuration, 60000, 100, kHourMillis,
    "60 s", "100 ms..1 h",
    "idle time before a thread above the minimum exits"};
inline constexpr OptionRow kProcessQueueSize{
    "process_queue_size", "int", OptionKind::kInteger, 1000, 1, 65535,
    "1000", "1..65535",
    "cached messages per queue before pulling pauses"};
inline constexpr OptionRow kProcessQueueBytes{
    "process_queue_bytes", "int64", OptionKind::kInteger, 100 * kMiB, kMiB, 2048 * kMiB,
    "100 MiB", "1 MiB..2 GiB (1048576..2147483648)",
    "cached body bytes per queue before pulling pauses"};
inline constexpr OptionRow kMaxSpan{
    "max_span", "int", OptionKind::kInteger, 2000, 1, 65535,
    "2000", "1..65535",
    "offset distance inside one queue's cache before pulling pauses"};
inline constexpr OptionRow kPullBatchSize{
    "pull_batch_size", "int", OptionKind::kInteger, 32, 1, 1024,
    "32", "1..1024",
    "messages asked for per pull request"};
inline constexpr OptionRow kPullInterval{
    "pull_interval", "milliseconds", OptionKind::kDuration, 0, 0, 65535,
    "0 ms", "0..65535 ms",
    "pause between two pulls of one queue"};
inline constexpr OptionRow kConsumeBatchSize{
    "consume_batch_size", "int", OptionKind::kInteger, 1, 1, 1024,
    "1", "1..1024",
    "messages per listener call"};
inline constexpr OptionRow kConsumeFromWhere{
    "consume_from_where", "ConsumeFromWhere", OptionKind::kOther, 0, 0, 0,
    "ConsumeFromLastOffset", "",
    "start point of a group without a committed offset"};
// The default is computed at construction: the start time minus 30 minutes, as in the Java client.
inline constexpr OptionRow kConsumeTimestamp{
    "consume_timestamp", "int64", OptionKind::kTimestamp, 30 * 60 * 1000, 1, common::kNoLimit,
    "start time - 30 min", "positive (milliseconds since the epoch)",
    "start point for ConsumeFromTimestamp"};
inline constexpr OptionRow kMessageModel{
    "message_model", "MessageModel", OptionKind::kOther, 0, 0, 0,
    "Clustering", "",
    "clustering or broadcasting"};
// The broker keeps 18 delay levels; a retried message uses level 3 + reconsume count, so more than 16
// retries would run past the table (Java MessageConst.MAX_RECONSUME_TIMES). -1 means 16.
inline constexpr OptionRow kMaxReconsumeTimes{
    "max_reconsume_times", "int", OptionKind::kInteger, 16, -1, 16,
    "16", "-1 (meaning 16) or 0..16",
    "deliveries before %DLQ%<group>"};
inline constexpr OptionRow kConsumeTimeout{
    "consume_timeout", "milliseconds", OptionKind::kDuration, 15 * 60 * 1000, 1000, 24 * kHourMillis,
    "15 min", "1 s..24 h",
    "a slower listener call has its batch handed back"};
inline constexpr OptionRow kAllocateStrategy{
    "allocate_strategy", "AllocateStrategy", OptionKind::kOther, 0, 0, 0,
    "averagely", "not null",
    "which queues this consumer owns"};
inline constexpr OptionRow kOffsetStoreDir{
    "offset_store_dir", "string", OptionKind::kOther, 0, 0, 0,
    "$HOME/.rocketmq_offsets", "non-empty, no NUL byte",
    "where broadcasting offsets are kept"};
// 100 ms rather than 1 s so that tests can observe committed offsets quickly. Every interval is
// bounded (1 h) so that the scheduler's now() + interval cannot overflow.
inline constexpr OptionRow kPersistOffsetInterval{
    "persist_offset_interval", "milliseconds", OptionKind::kDuration, 5000, 100, 3600000,
    "5 s", "100 ms..1 h",
    "how often offsets are committed"};
inline constexpr OptionRow kHeartbeatInterval{
    "heartbeat_interval", "milliseconds", OptionKind::kDuration, 30000, 1000, 3600000,
    "30 s", "1 s..1 h",
    "how often heartbeats are sent"};
inline constexpr OptionRow kRebalanceInterval{
    "rebalance_interval", "milliseconds", OptionKind::kDuration, 20000, 1000, 3600000,
    "20 s", "1 s..1 h",
    "how often queues are rebalanced"};
inline constexpr OptionRow kShutdownTimeout{
    "shutdown_timeout", "milliseconds", OptionKind::kDuration, 30000, 0, kHourMillis,
    "30 s", "0..1 h",
    "how long shutdown() waits for listener calls in flight"};
inline constexpr OptionRow kSuspendTime{
    "suspend_time", "milliseconds", OptionKind::kDuration, 1000, 10, 30000,
    "1 s", "10 ms..30 s",
    "orderly consumption: pause after ReconsumeLater"};

}  // namespace option_rows

// docs/configuration.md, "ConsumerOption", in its order.
inline constexpr common::OptionRow kConsumerOptionTable[] = {
    common::option_rows::kNameServerAddr,
    option_rows::kGroupName,
    option_rows::kConsumeThreadMin,
    option_rows::kConsumeThreadMax,
    option_rows::kConsumeThreadKeepAlive,
    option_rows::kProcessQueueSize,
    option_rows::kProcessQueueBytes,
    option_rows::kMaxSpan,
    option_rows::kPullBatchSize,
    option_rows::kPullInterval,
    option_rows::kConsumeBatchSize,
    option_rows::kConsumeFromWhere,
    option_rows::kConsumeTimestamp,
    option_rows::kMessageModel,
    option_rows::kMaxReconsumeTimes,
    option_rows::kConsumeTimeout,
    option_rows::kAllocateStrategy,
    common::option_rows::kInstanceName,
    option_rows::kOffsetStoreDir,
    option_rows::kPersistOffsetInterval,
    option_rows::kHeartbeatInterval,
    option_rows::kRebalanceInterval,
    common::option_rows::kRouteRefreshInterval,
    option_rows::kShutdownTimeout,
    common::option_rows::kRequestTimeout,
    option_rows::kSuspendTime,
    common::option_rows::kErrorListener,
};

}  // namespace rocketmq::consumer
