#pragma once

#include "common/option_table.h"

// The options of ProducerOption (see common/option_table.h): the setters check against these rows,
// the constructor takes its defaults from them, and docs/configuration.md ("ProducerOption") is
// checked against kProducerOptionTable by a unit test.
namespace rocketmq::producer {

namespace option_rows {

using common::OptionKind;
using common::OptionRow;

inline constexpr std::int64_t kMinuteMillis = 60 * 1000;
inline constexpr int kMaxRetryTimes = 16;
// A remoting frame is at most 16 MiB (NettyDecoder FRAME_MAX_LENGTH, docs/protocol.md §1); the request
// header and the properties string (≤ 32 KiB) share the frame with the body, so leave them 64 KiB.
inline constexpr std::int64_t kMaxMessageSizeLimit = 16 * 1024 * 1024 - 64 * 1024;

inline constexpr OptionRow kGroupName{
    "group_name", "string", OptionKind::kOther, 0, 0, 0,
    "DEFAULT_PRODUCER", "1..255 of [%|a-zA-Z0-9_-]",
    "the producer group (needed by transactional messages)"};
inline constexpr OptionRow kSendTimeout{
    "send_timeout", "milliseconds", OptionKind::kDuration, 3000, 10, 10 * kMinuteMillis,
    "3 s", "10 ms..10 min",
    "per attempt"};
inline constexpr OptionRow kRetryTimes{
    "retry_times", "int", OptionKind::kInteger, 2, 0, kMaxRetryTimes,
    "2", "0..16",
    "extra attempts of a failed synchronous send"};
inline constexpr OptionRow kAsyncRetryTimes{
    "async_retry_times", "int", OptionKind::kInteger, 2, 0, kMaxRetryTimes,
    "2", "0..16",
    "extra attempts of a failed asynchronous send"};
// 0 compresses every body; a threshold above max_message_size effectively disables compression.
inline constexpr OptionRow kCompressThreshold{
    "compress_threshold", "int64", OptionKind::kInteger, 4096, 0, common::kNoLimit,
    "4 KiB", "at least 0",
    "bodies at least this large are zlib-compressed"};
inline constexpr OptionRow kCompressLevel{
    "compress_level", "int", OptionKind::kInteger, 5, 1, 9,
    "5", "1..9",
    "zlib level"};
inline constexpr OptionRow kMaxMessageSize{
    "max_message_size", "int64", OptionKind::kInteger, 4 * 1024 * 1024, 1, kMaxMessageSizeLimit,
    "4 MiB", "1..16711680 (16 MiB - 64 KiB)",
    "largest message (or batch) body accepted"};
inline constexpr OptionRow kMaxPendingAsyncSends{
    "max_pending_async_sends", "int", OptionKind::kInteger, 10000, 1, 1000000,
    "10000", "1..1000000",
    "asynchronous sends waiting for their answer"};
inline constexpr OptionRow kLatencyFaultTolerance{
    "latency_fault_tolerance", "bool", OptionKind::kOther, 0, 0, 0,
    "on", "",
    "a failed broker is avoided for a while"};

}  // namespace option_rows

// docs/configuration.md, "ProducerOption", in its order.
inline constexpr common::OptionRow kProducerOptionTable[] = {
    common::option_rows::kNameServerAddr,
    option_rows::kGroupName,
    common::option_rows::kInstanceName,
    option_rows::kSendTimeout,
    option_rows::kRetryTimes,
    option_rows::kAsyncRetryTimes,
    option_rows::kCompressThreshold,
    option_rows::kCompressLevel,
    option_rows::kMaxMessageSize,
    option_rows::kMaxPendingAsyncSends,
    option_rows::kLatencyFaultTolerance,
    common::option_rows::kRequestTimeout,
    common::option_rows::kRouteRefreshInterval,
    common::option_rows::kErrorListener,
};

}  // namespace rocketmq::producer
