#include "protocol/request_code.h"

namespace rocketmq {
namespace protocol {

const char* request_code_name(int code) {
  switch (static_cast<RequestCode>(code)) {
    case RequestCode::kGetRouteInfoByTopic:
      return "GET_ROUTEINFO_BY_TOPIC";
    case RequestCode::kGetBrokerClusterInfo:
      return "GET_BROKER_CLUSTER_INFO";
    case RequestCode::kGetAllTopicListFromNameServer:
      return "GET_ALL_TOPIC_LIST_FROM_NAMESERVER";
    case RequestCode::kGetTopicsByCluster:
      return "GET_TOPICS_BY_CLUSTER";
    case RequestCode::kDeleteTopicInNameServer:
      return "DELETE_TOPIC_IN_NAMESRV";
    case RequestCode::kSendMessage:
      return "SEND_MESSAGE";
    case RequestCode::kSendMessageV2:
      return "SEND_MESSAGE_V2";
    case RequestCode::kSendBatchMessage:
      return "SEND_BATCH_MESSAGE";
    case RequestCode::kEndTransaction:
      return "END_TRANSACTION";
    case RequestCode::kHeartBeat:
      return "HEART_BEAT";
    case RequestCode::kUnregisterClient:
      return "UNREGISTER_CLIENT";
    case RequestCode::kPullMessage:
      return "PULL_MESSAGE";
    case RequestCode::kLitePullMessage:
      return "LITE_PULL_MESSAGE";
    case RequestCode::kQueryConsumerOffset:
      return "QUERY_CONSUMER_OFFSET";
    case RequestCode::kUpdateConsumerOffset:
      return "UPDATE_CONSUMER_OFFSET";
    case RequestCode::kGetConsumerListByGroup:
      return "GET_CONSUMER_LIST_BY_GROUP";
    case RequestCode::kConsumerSendMsgBack:
      return "CONSUMER_SEND_MSG_BACK";
    case RequestCode::kLockBatchMq:
      return "LOCK_BATCH_MQ";
    case RequestCode::kUnlockBatchMq:
      return "UNLOCK_BATCH_MQ";
    case RequestCode::kCheckClientConfig:
      return "CHECK_CLIENT_CONFIG";
    case RequestCode::kPopMessage:
      return "POP_MESSAGE";
    case RequestCode::kSearchOffsetByTimestamp:
      return "SEARCH_OFFSET_BY_TIMESTAMP";
    case RequestCode::kGetMaxOffset:
      return "GET_MAX_OFFSET";
    case RequestCode::kGetMinOffset:
      return "GET_MIN_OFFSET";
    case RequestCode::kGetEarliestMsgStoretime:
      return "GET_EARLIEST_MSG_STORETIME";
    case RequestCode::kQueryMessage:
      return "QUERY_MESSAGE";
    case RequestCode::kViewMessageById:
      return "VIEW_MESSAGE_BY_ID";
    case RequestCode::kUpdateAndCreateTopic:
      return "UPDATE_AND_CREATE_TOPIC";
    case RequestCode::kUpdateAndCreateSubscriptionGroup:
      return "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP";
    case RequestCode::kInvokeBrokerToResetOffset:
      return "INVOKE_BROKER_TO_RESET_OFFSET";
    case RequestCode::kAuthCreateUser:
      return "AUTH_CREATE_USER";
    case RequestCode::kAuthUpdateUser:
      return "AUTH_UPDATE_USER";
    case RequestCode::kAuthDeleteUser:
      return "AUTH_DELETE_USER";
    case RequestCode::kAuthGetUser:
      return "AUTH_GET_USER";
    case RequestCode::kAuthListUser:
      return "AUTH_LIST_USER";
    case RequestCode::kAuthCreateAcl:
      return "AUTH_CREATE_ACL";
    case RequestCode::kAuthUpdateAcl:
      return "AUTH_UPDATE_ACL";
    case RequestCode::kAuthDeleteAcl:
      return "AUTH_DELETE_ACL";
    case RequestCode::kAuthGetAcl:
      return "AUTH_GET_ACL";
    case RequestCode::kAuthListAcl:
      return "AUTH_LIST_ACL";
    case RequestCode::kUpdateAndCreateAclConfig:
      return "UPDATE_AND_CREATE_ACL_CONFIG";
    case RequestCode::kDeleteAclConfig:
      return "DELETE_ACL_CONFIG";
    case RequestCode::kGetBrokerClusterAclInfo:
      return "GET_BROKER_CLUSTER_ACL_INFO";
    case RequestCode::kUpdateGlobalWhiteAddrsConfig:
      return "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG";
    case RequestCode::kNotifyConsumerIdsChanged:
      return "NOTIFY_CONSUMER_IDS_CHANGED";
    case RequestCode::kResetConsumerClientOffset:
      return "RESET_CONSUMER_CLIENT_OFFSET";
    case RequestCode::kGetConsumerStatusFromClient:
      return "GET_CONSUMER_STATUS_FROM_CLIENT";
    case RequestCode::kGetConsumerRunningInfo:
      return "GET_CONSUMER_RUNNING_INFO";
    case RequestCode::kConsumeMessageDirectly:
      return "CONSUME_MESSAGE_DIRECTLY";
    case RequestCode::kCheckTransactionState:
      return "CHECK_TRANSACTION_STATE";
    case RequestCode::kPushReplyMessageToClient:
      return "PUSH_REPLY_MESSAGE_TO_CLIENT";
  }
  return "UNKNOWN";
}

}  // namespace protocol
}  // namespace rocketmq
