#pragma once

namespace rocketmq {
namespace protocol {

// Response codes (docs/protocol.md §5, `RemotingSysResponseCode.java` + `ResponseCode.java`). The
// 4.9.8 meanings of 209/210/211 differ (ACL config failures); the 5.x names are used here.
enum class ResponseCode : int {
  kSuccess = 0,
  kSystemError = 1,
  kSystemBusy = 2,
  kRequestCodeNotSupported = 3,
  kTransactionFailed = 4,
  kFlushDiskTimeout = 10,
  kSlaveNotAvailable = 11,
  kFlushSlaveTimeout = 12,
  kMessageIllegal = 13,
  kServiceNotAvailable = 14,
  kVersionNotSupported = 15,
  kNoPermission = 16,
  kTopicNotExist = 17,
  kTopicExistAlready = 18,
  kPullNotFound = 19,
  kPullRetryImmediately = 20,
  kPullOffsetMoved = 21,
  kQueryNotFound = 22,
  kSubscriptionParseFailed = 23,
  kSubscriptionNotExist = 24,
  kSubscriptionNotLatest = 25,
  kSubscriptionGroupNotExist = 26,
  kFilterDataNotExist = 27,
  kFilterDataNotLatest = 28,
  kInvalidParameter = 29,
  kTransactionShouldCommit = 200,
  kTransactionShouldRollback = 201,
  kTransactionStateUnknow = 202,
  kTransactionStateGroupWrong = 203,
  kNoBuyerId = 204,
  kNotInCurrentUnit = 205,
  kConsumerNotOnline = 206,
  kConsumeMsgTimeout = 207,
  kNoMessage = 208,
  kPollingFull = 209,
  kPollingTimeout = 210,
  kBrokerNotExist = 211,
  kBrokerDispatchNotComplete = 212,
  kBroadcastConsumption = 213,
  kFlowControl = 215,
  kNotLeaderForQueue = 501,
  kIllegalOperation = 604,
  kGoAway = 1500,
  kControllerFencedMasterEpoch = 2000,
  kControllerFencedSyncStateSetEpoch = 2001,
  kControllerInvalidMaster = 2002,
  kControllerInvalidReplicas = 2003,
  kControllerMasterNotAvailable = 2004,
  kControllerInvalidRequest = 2005,
  kControllerBrokerNotAlive = 2006,
  kControllerNotLeader = 2007,
  kControllerBrokerMetadataNotExist = 2008,
  kControllerInvalidCleanBrokerMetadata = 2009,
  kControllerBrokerNeedToBeRegistered = 2010,
  kControllerMasterStillExist = 2011,
  kControllerElectMasterFailed = 2012,
  kControllerAlterSyncStateSetFailed = 2013,
  kControllerBrokerIdInvalid = 2014,
  kControllerJraftInternalError = 2015,
  kControllerBrokerLiveInfoNotExists = 2016,
  kUserNotExist = 3001,
  kPolicyNotExist = 3002,
  // Client-local pseudo codes of the Java client; never on the wire.
  kRpcUnknown = -1000,
  kRpcAddrIsNull = -1002,
  kRpcSendToChannelFailed = -1004,
  kRpcTimeOut = -1006,
};

// The Java constant name (e.g. 17 → "TOPIC_NOT_EXIST"), "UNKNOWN" for other values; meant for
// error messages and logs.
const char* response_code_name(int code);

}  // namespace protocol
}  // namespace rocketmq
