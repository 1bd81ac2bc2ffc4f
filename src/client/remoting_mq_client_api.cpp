#include "client/remoting_mq_client_api.h"

#include <future>
#include <memory>
#include <random>

#include "common/log.h"
#include "protocol/bodies/client_bodies.h"
#include "protocol/message_decoder.h"
#include "protocol/request_code.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

namespace rocketmq::client {

using protocol::RequestCode;
using protocol::ResponseCode;
using remoting::RemotingCommand;

namespace {

RemotingCommand make_request(RequestCode code) { return RemotingCommand::request(static_cast<std::int32_t>(code)); }

template <typename Header>
RemotingCommand make_request(RequestCode code, const Header& header) {
  auto request = make_request(code);
  header.encode(request.ext_fields);
  return request;
}

bool is(const RemotingCommand& response, ResponseCode code) {
  return response.code == static_cast<std::int32_t>(code);
}

// A name server answering SYSTEM_ERROR or SYSTEM_BUSY is failing or overloaded: another one may
// answer (every other code is the name server's answer).
bool is_failing_answer(const RemotingCommand& response) {
  return is(response, ResponseCode::kSystemError) || is(response, ResponseCode::kSystemBusy);
}

// "<CODE_NAME> (<code>)[: <remark>]".
std::string describe_answer(const RemotingCommand& response) {
  return std::string(protocol::response_code_name(response.code)) + " (" + std::to_string(response.code) + ")" +
         (response.remark ? ": " + *response.remark : "");
}

std::vector<std::string> split_name_servers(const std::string& addresses) {
  std::vector<std::string> result;
  std::size_t start = 0;
  while (start <= addresses.size()) {
    const auto end = addresses.find(';', start);
    std::string part = addresses.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) result.push_back(std::move(part));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (result.empty()) throw ClientError("no name server address configured");
  return result;
}

SendResponse to_send_response(RemotingCommand& response, const std::string& address) {
  switch (static_cast<ResponseCode>(response.code)) {
    case ResponseCode::kSuccess:
    case ResponseCode::kFlushDiskTimeout:
    case ResponseCode::kFlushSlaveTimeout:
    case ResponseCode::kSlaveNotAvailable:
      break;
    default:
      throw_broker_error(response, address, "send");
  }
  SendResponse result;
  result.code = response.code;
  result.header = protocol::SendMessageResponseHeader::decode(response.ext_fields);
  return result;
}

RemotingCommand send_request(const protocol::SendMessageRequestHeaderV2& header, bool batch, const std::string& body) {
  auto request = make_request(batch ? RequestCode::kSendBatchMessage : RequestCode::kSendMessageV2, header);
  request.body = body;
  return request;
}

}  // namespace

void throw_broker_error(const RemotingCommand& response, const std::string& address, const std::string& what) {
  const std::string remark = response.remark.value_or("");
  const std::string text = what + " failed: " + protocol::response_code_name(response.code) + " (" +
                           std::to_string(response.code) + ") from " + address + (remark.empty() ? "" : ": " + remark);
  // NO_PERMISSION is what ACL brokers answer for a bad signature, an unknown access key and a
  // denied resource alike (the remark tells which); it also covers a topic made unwritable.
  if (response.code == static_cast<std::int32_t>(ResponseCode::kNoPermission)) throw AuthError(response.code, remark, text);
  throw BrokerError(response.code, remark, text);
}

RemotingMQClientAPI::RemotingMQClientAPI(remoting::RemotingClient& remoting, const std::string& name_servers,
                                         std::chrono::milliseconds timeout, std::chrono::milliseconds rotate_interval)
    : remoting_(remoting),
      name_servers_(split_name_servers(name_servers)),
      timeout_(timeout),
      rotate_interval_(rotate_interval),
      last_rotation_(Clock::now()),
      failed_at_(name_servers_.size()) {
  // Spread clients over the name servers.
  current_name_server_ = std::random_device{}() % name_servers_.size();
}

RemotingCommand RemotingMQClientAPI::invoke(const std::string& address, RemotingCommand request) {
  return remoting_.invoke_sync(address, std::move(request), timeout_);
}

std::string RemotingMQClientAPI::current_name_server() const {
  std::lock_guard<std::mutex> lock(name_server_mutex_);
  return name_servers_[current_name_server_];
}

bool RemotingMQClientAPI::recently_failed_locked(std::size_t index, Clock::time_point now) const {
  // Three periods: a rotation does not go back to a server that failed since the last one.
  return failed_at_[index] != Clock::time_point{} && now - failed_at_[index] < 3 * rotate_interval_;
}

std::vector<std::size_t> RemotingMQClientAPI::name_server_order() {
  std::lock_guard<std::mutex> lock(name_server_mutex_);
  const auto now = Clock::now();
  const auto recently_failed = [&](std::size_t index) { return recently_failed_locked(index, now); };
  const std::size_t count = name_servers_.size();
  if (count > 1 && rotate_interval_.count() > 0 && now - last_rotation_ >= rotate_interval_) {
    last_rotation_ = now;
    for (std::size_t step = 1; step < count; ++step) {
      const std::size_t next = (current_name_server_ + step) % count;
      if (!recently_failed(next)) {
        LOG_INFO("rotating from name server " << name_servers_[current_name_server_] << " to "
                                              << name_servers_[next]);
        current_name_server_ = next;
        break;
      }
    }
  }
  std::vector<std::size_t> order;
  std::vector<std::size_t> failed;
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (current_name_server_ + step) % count;
    (step != 0 && recently_failed(index) ? failed : order).push_back(index);
  }
  order.insert(order.end(), failed.begin(), failed.end());
  return order;
}

void RemotingMQClientAPI::name_server_answered(std::size_t index) {
  std::lock_guard<std::mutex> lock(name_server_mutex_);
  if (current_name_server_ != index) {
    LOG_INFO("using name server " << name_servers_[index] << " (was " << name_servers_[current_name_server_] << ")");
    current_name_server_ = index;
  }
  failed_at_[index] = Clock::time_point{};
}

void RemotingMQClientAPI::name_server_failed(std::size_t index) {
  std::lock_guard<std::mutex> lock(name_server_mutex_);
  failed_at_[index] = Clock::now();
}

RemotingCommand RemotingMQClientAPI::invoke_name_server(RemotingCommand request) {
  std::string failures;
  for (const std::size_t index : name_server_order()) {
    const std::string& address = name_servers_[index];
    std::string failure;
    try {
      auto response = remoting_.invoke_sync(address, request, timeout_);
      if (!is_failing_answer(response)) {
        name_server_answered(index);
        return response;
      }
      // An overloaded or failing name server; another one may answer.
      failure = describe_answer(response);
    } catch (const ConnectError& error) {
      failure = error.what();
    } catch (const TimeoutError& error) {
      failure = error.what();
    } catch (const ProtocolError& error) {
      failure = error.what();
    }
    LOG_WARN("name server " << address << " failed, trying the next one: " << failure);
    name_server_failed(index);
    failures += (failures.empty() ? "" : "; ") + address + ": " + failure;
  }
  std::string list;
  for (const auto& address : name_servers_) list += (list.empty() ? "" : ", ") + address;
  throw ConnectError("no name server answered (" + list + "): " + failures);
}

RemotingCommand RemotingMQClientAPI::route_request(const std::string& topic) {
  protocol::GetRouteInfoRequestHeader header;
  header.topic = topic;
  header.accept_standard_json_only = true;
  return make_request(RequestCode::kGetRouteInfoByTopic, header);
}

protocol::TopicRouteData RemotingMQClientAPI::get_topic_route(const std::string& topic) {
  auto response = invoke_name_server(route_request(topic));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, "name server", "route query for " + topic);
  return protocol::TopicRouteData::decode(response.body);
}

std::vector<std::pair<std::string, protocol::TopicRouteData>>
RemotingMQClientAPI::get_topic_route_from_other_name_servers(const std::string& topic) {
  // It waits for answers: never on an I/O thread, which would have to deliver them.
  if (remoting_.in_io_thread()) return {};
  std::vector<std::size_t> others;
  {
    std::lock_guard<std::mutex> lock(name_server_mutex_);
    const auto now = Clock::now();
    for (std::size_t index = 0; index < name_servers_.size(); ++index) {
      if (index != current_name_server_ && !recently_failed_locked(index, now)) others.push_back(index);
    }
  }
  // All at once, so that one unreachable server costs one timeout whatever the list's length (this
  // runs on the scheduler thread, inside a route refresh). A server that fails as invoke_name_server
  // counts failures (no connection, no answer in time, a malformed or SYSTEM_ERROR/BUSY answer) is
  // recorded as failed and left out of second opinions and rotations for a while.
  std::vector<std::pair<std::size_t, std::future<remoting::InvokeResult>>> pending;
  for (const std::size_t index : others) {
    auto promise = std::make_shared<std::promise<remoting::InvokeResult>>();
    auto future = promise->get_future();
    try {
      remoting_.invoke_async(
          name_servers_[index], route_request(topic), timeout_,
          [promise](remoting::InvokeResult&& result) { promise->set_value(std::move(result)); });
    } catch (...) {
      promise->set_value(remoting::InvokeResult{std::nullopt, std::current_exception()});
    }
    pending.emplace_back(index, std::move(future));
  }
  std::vector<std::pair<std::string, protocol::TopicRouteData>> routes;
  for (auto& [index, future] : pending) {
    const std::string& address = name_servers_[index];
    std::string failure;
    try {
      // The callback runs within the timeout; the margin covers a completion lost to a shutdown
      // race, as invoke_sync's.
      if (future.wait_for(timeout_ + std::chrono::seconds(5)) != std::future_status::ready) {
        throw TimeoutError("no completion of the route query to " + address);
      }
      auto result = future.get();
      if (result.error) std::rethrow_exception(result.error);
      const auto& response = *result.response;
      if (is(response, ResponseCode::kSuccess)) {
        routes.emplace_back(address, protocol::TopicRouteData::decode(response.body));
        continue;
      }
      // TOPIC_NOT_EXIST and the like: an answer, only not a route.
      if (!is_failing_answer(response)) continue;
      failure = describe_answer(response);
    } catch (const ConnectError& error) {
      failure = error.what();
    } catch (const TimeoutError& error) {
      failure = error.what();
    } catch (const ProtocolError& error) {
      failure = error.what();
    } catch (const std::exception& error) {
      // A local refusal (shut down, too many requests outstanding): not the server's failing.
      LOG_DEBUG("second route query for " << topic << " to " << address << " not made: " << error.what());
      continue;
    }
    LOG_WARN("name server " << address << " failed a second route query for " << topic << ": " << failure);
    name_server_failed(index);
  }
  return routes;
}

protocol::ClusterInfo RemotingMQClientAPI::get_broker_cluster_info() {
  auto response = invoke_name_server(make_request(RequestCode::kGetBrokerClusterInfo));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, "name server", "cluster info query");
  return protocol::ClusterInfo::decode(response.body);
}

void RemotingMQClientAPI::create_topic(const std::string& broker_addr, const protocol::CreateTopicRequestHeader& header) {
  auto response = invoke(broker_addr, make_request(RequestCode::kUpdateAndCreateTopic, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "create topic " + header.topic);
}

std::int64_t RemotingMQClientAPI::get_max_offset(const std::string& broker_addr, const std::string& topic,
                                                 int queue_id) {
  protocol::GetMaxOffsetRequestHeader header;
  header.topic = topic;
  header.queue_id = queue_id;
  auto response = invoke(broker_addr, make_request(RequestCode::kGetMaxOffset, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "get max offset");
  return protocol::OffsetResponseHeader::decode(response.ext_fields).offset;
}

void RemotingMQClientAPI::probe_broker(const std::string& broker_addr, const std::string& topic, int queue_id,
                                       std::chrono::milliseconds timeout, ProbeCallback done) {
  protocol::GetMaxOffsetRequestHeader header;
  header.topic = topic;
  header.queue_id = queue_id;
  remoting_.invoke_async(broker_addr, make_request(RequestCode::kGetMaxOffset, header), timeout,
                         [done = std::move(done)](remoting::InvokeResult&& result) { done(result.error); });
}

std::optional<std::chrono::steady_clock::time_point> RemotingMQClientAPI::last_heard_from(
    const std::string& broker_addr) const {
  return remoting_.last_heard_from(broker_addr);
}

std::int64_t RemotingMQClientAPI::get_min_offset(const std::string& broker_addr, const std::string& topic,
                                                 int queue_id) {
  protocol::TopicQueueRequestHeader header;
  header.topic = topic;
  header.queue_id = queue_id;
  auto response = invoke(broker_addr, make_request(RequestCode::kGetMinOffset, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "get min offset");
  return protocol::OffsetResponseHeader::decode(response.ext_fields).offset;
}

std::int64_t RemotingMQClientAPI::search_offset(const std::string& broker_addr, const std::string& topic, int queue_id,
                                                std::int64_t timestamp) {
  protocol::SearchOffsetRequestHeader header;
  header.topic = topic;
  header.queue_id = queue_id;
  header.timestamp = timestamp;
  auto response = invoke(broker_addr, make_request(RequestCode::kSearchOffsetByTimestamp, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "search offset by timestamp");
  return protocol::OffsetResponseHeader::decode(response.ext_fields).offset;
}

void RemotingMQClientAPI::reset_group_offset(const std::string& broker_addr,
                                             const protocol::ResetOffsetRequestHeader& header) {
  auto response = invoke(broker_addr, make_request(RequestCode::kInvokeBrokerToResetOffset, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "reset the group's offsets");
}

SendResponse RemotingMQClientAPI::send_message(const std::string& broker_addr,
                                               const protocol::SendMessageRequestHeaderV2& header, bool batch,
                                               const std::string& body, std::chrono::milliseconds timeout) {
  auto response = remoting_.invoke_sync(broker_addr, send_request(header, batch, body), timeout);
  return to_send_response(response, broker_addr);
}

void RemotingMQClientAPI::send_message_async(const std::string& broker_addr,
                                             const protocol::SendMessageRequestHeaderV2& header, bool batch,
                                             const std::string& body, std::chrono::milliseconds timeout,
                                             SendCallback callback) {
  remoting_.invoke_async(broker_addr, send_request(header, batch, body), timeout,
                         [callback = std::move(callback), broker_addr](remoting::InvokeResult&& result) {
                           if (result.error) {
                             callback(SendResponse{}, result.error);
                             return;
                           }
                           SendResponse response;
                           try {
                             response = to_send_response(*result.response, broker_addr);
                           } catch (...) {
                             callback(SendResponse{}, std::current_exception());
                             return;
                           }
                           callback(std::move(response), nullptr);
                         });
}

void RemotingMQClientAPI::send_message_oneway(const std::string& broker_addr,
                                              const protocol::SendMessageRequestHeaderV2& header,
                                              const std::string& body) {
  remoting_.invoke_oneway(broker_addr, send_request(header, false, body));
}

void RemotingMQClientAPI::pull_message(const std::string& broker_addr, const protocol::PullMessageRequestHeader& header,
                                       std::chrono::milliseconds timeout, PullCallback callback) {
  remoting_.invoke_async(
      broker_addr,
      make_request((header.sys_flag & protocol::kPullSysFlagLitePull) != 0 ? RequestCode::kLitePullMessage
                                                                           : RequestCode::kPullMessage,
                   header),
      timeout,
      [callback = std::move(callback), broker_addr](remoting::InvokeResult&& result) {
        if (result.error) {
          callback(PullResult{}, result.error);
          return;
        }
        PullResult pull;
        try {
          auto& response = *result.response;
          switch (static_cast<ResponseCode>(response.code)) {
            case ResponseCode::kSuccess:
              pull.status = PullStatus::Found;
              break;
            case ResponseCode::kPullNotFound:
              pull.status = PullStatus::NoNewMessage;
              break;
            case ResponseCode::kPullRetryImmediately:
              pull.status = PullStatus::NoMatchedMessage;
              break;
            case ResponseCode::kPullOffsetMoved:
              pull.status = PullStatus::OffsetIllegal;
              break;
            default:
              throw_broker_error(response, broker_addr, "pull");
          }
          const auto header = protocol::PullMessageResponseHeader::decode(response.ext_fields);
          pull.next_begin_offset = header.next_begin_offset;
          pull.min_offset = header.min_offset;
          pull.max_offset = header.max_offset;
          pull.suggest_which_broker_id = header.suggest_which_broker_id;
          if (pull.status == PullStatus::Found) {
            // The body moves into a shared buffer that the lazily decoded records point into.
            pull.buffer = std::make_shared<const std::string>(std::move(response.body));
            pull.body_bytes = pull.buffer->size();
            pull.messages = protocol::decode_messages_skipping_bad(
                *pull.buffer, pull.rejected, protocol::kDefaultMaxDecompressedSize,
                protocol::kDefaultMaxTotalDecompressedSize, protocol::kDefaultMaxMessagesPerResponse, true);
            if (header.offset_delta) {
              // Wrapping like Java's long: both values come from the peer, and signed overflow is
              // undefined behaviour in C++.
              const auto delta = static_cast<std::uint64_t>(*header.offset_delta);
              for (auto& message : pull.messages) {
                message.queue_offset =
                    static_cast<std::int64_t>(static_cast<std::uint64_t>(message.queue_offset) + delta);
              }
              for (auto& bad : pull.rejected) {
                if (bad.queue_offset >= 0) {
                  bad.queue_offset = static_cast<std::int64_t>(static_cast<std::uint64_t>(bad.queue_offset) + delta);
                }
              }
            }
          }
        } catch (...) {
          callback(PullResult{}, std::current_exception());
          return;
        }
        callback(std::move(pull), nullptr);
      });
}

std::int64_t RemotingMQClientAPI::query_consumer_offset(const std::string& broker_addr,
                                                        const protocol::QueryConsumerOffsetRequestHeader& header) {
  auto response = invoke(broker_addr, make_request(RequestCode::kQueryConsumerOffset, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "query consumer offset");
  return protocol::QueryConsumerOffsetResponseHeader::decode(response.ext_fields).offset;
}

void RemotingMQClientAPI::update_consumer_offset(const std::string& broker_addr,
                                                 const protocol::UpdateConsumerOffsetRequestHeader& header,
                                                 bool oneway) {
  auto request = make_request(RequestCode::kUpdateConsumerOffset, header);
  if (oneway) {
    remoting_.invoke_oneway(broker_addr, std::move(request));
    return;
  }
  auto response = invoke(broker_addr, std::move(request));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "update consumer offset");
}

std::vector<std::string> RemotingMQClientAPI::get_consumer_id_list(const std::string& broker_addr,
                                                                   const std::string& group) {
  protocol::GetConsumerListByGroupRequestHeader header;
  header.consumer_group = group;
  auto response = invoke(broker_addr, make_request(RequestCode::kGetConsumerListByGroup, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "get consumer list");
  return protocol::GetConsumerListByGroupResponseBody::decode(response.body).consumer_id_list;
}

void RemotingMQClientAPI::consumer_send_message_back(const std::string& broker_addr,
                                                     const protocol::ConsumerSendMsgBackRequestHeader& header) {
  auto response = remoting_.invoke_sync(broker_addr, make_request(RequestCode::kConsumerSendMsgBack, header),
                                        std::chrono::milliseconds(5000));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "send message back");
}

std::set<MessageQueue> RemotingMQClientAPI::lock_batch(const std::string& broker_addr,
                                                       const protocol::LockBatchRequestBody& body) {
  auto request = make_request(RequestCode::kLockBatchMq);
  request.body = body.encode();
  auto response = invoke(broker_addr, std::move(request));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "lock batch");
  return protocol::LockBatchResponseBody::decode(response.body).lock_ok_mq_set;
}

void RemotingMQClientAPI::unlock_batch(const std::string& broker_addr, const protocol::UnlockBatchRequestBody& body,
                                       bool oneway) {
  auto request = make_request(RequestCode::kUnlockBatchMq);
  request.body = body.encode();
  if (oneway) {
    remoting_.invoke_oneway(broker_addr, std::move(request));
    return;
  }
  auto response = invoke(broker_addr, std::move(request));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "unlock batch");
}

int RemotingMQClientAPI::send_heartbeat(const std::string& broker_addr, const protocol::HeartbeatData& heartbeat) {
  auto request = make_request(RequestCode::kHeartBeat);
  request.body = heartbeat.encode();
  auto response = invoke(broker_addr, std::move(request));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "heartbeat");
  return response.version;
}

void RemotingMQClientAPI::unregister_client(const std::string& broker_addr,
                                            const protocol::UnregisterClientRequestHeader& header) {
  auto response = invoke(broker_addr, make_request(RequestCode::kUnregisterClient, header));
  if (!is(response, ResponseCode::kSuccess)) throw_broker_error(response, broker_addr, "unregister client");
}

}  // namespace rocketmq::client
