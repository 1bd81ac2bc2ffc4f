#include "support/fake_broker.h"

#include <algorithm>
#include <thread>

#include "protocol/bodies/client_bodies.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/lock_batch_body.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/message_decoder.h"
#include "protocol/request_code.h"
#include "protocol/response_code.h"

namespace rocketmq::test {

namespace {

using protocol::RequestCode;
using protocol::ResponseCode;

std::string key_of(const std::string& topic, int queue_id) { return topic + ":" + std::to_string(queue_id); }

std::int32_t code(ResponseCode value) { return static_cast<std::int32_t>(value); }

}  // namespace

FakeBroker::FakeBroker(int queues, std::string broker_name)
    : queues_(queues), broker_name_(std::move(broker_name)), peer_([this](PeerConnection& connection, remoting::RemotingCommand& request) {
        handle(connection, request);
      }) {}

protocol::StoredMessage FakeBroker::message(const std::string& topic, int queue_id, std::int64_t queue_offset,
                                            std::string body) {
  protocol::StoredMessage message;
  message.topic = topic;
  message.queue_id = queue_id;
  message.queue_offset = queue_offset;
  message.commit_log_offset = 1000 + queue_offset * 200;
  message.body = std::move(body);
  message.born_timestamp = 1700000000000;
  message.store_timestamp = 1700000000001;
  message.born_host = protocol::HostAddress{std::string("\x7f\x00\x00\x01", 4), 40000};
  message.store_host = protocol::HostAddress{std::string("\x7f\x00\x00\x01", 4), 10911};
  return message;
}

void FakeBroker::add_record(const std::string& topic, int queue_id, std::int64_t queue_offset, std::string record) {
  std::lock_guard<std::mutex> lock(mutex_);
  records_[key_of(topic, queue_id)][queue_offset] = std::move(record);
}

void FakeBroker::add_broker(const std::string& name, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  other_brokers_[name] = address;
}

void FakeBroker::refuse_send_backs(bool refuse) {
  std::lock_guard<std::mutex> lock(mutex_);
  refuse_send_backs_ = refuse;
}

void FakeBroker::ignore_commits(bool ignore) {
  std::lock_guard<std::mutex> lock(mutex_);
  ignore_commits_ = ignore;
}

void FakeBroker::black_hole(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  black_hole_ = on;
}

int FakeBroker::black_holed_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return black_holed_requests_;
}

int FakeBroker::black_holed_max_offset_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return black_holed_max_offset_requests_;
}

std::vector<protocol::ConsumerSendMsgBackRequestHeader> FakeBroker::send_backs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return send_backs_;
}

std::vector<std::pair<protocol::SendMessageRequestHeader, std::string>> FakeBroker::sends() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sends_;
}

std::map<std::string, std::int64_t> FakeBroker::committed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return committed_;
}

int FakeBroker::route_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return route_requests_;
}

int FakeBroker::pull_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pull_requests_;
}

int FakeBroker::pulls_with_commit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pulls_with_commit_;
}

int FakeBroker::commit_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return commit_requests_;
}

std::string FakeBroker::route(const std::string& topic) const {
  (void)topic;  // every topic has the same route
  std::map<std::string, std::string> brokers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    brokers = other_brokers_;
  }
  brokers[broker_name_] = address();
  protocol::TopicRouteData route;
  for (const auto& [name, broker_address] : brokers) {
    protocol::QueueData queue_data;
    queue_data.broker_name = name;
    queue_data.read_queue_nums = queues_;
    queue_data.write_queue_nums = queues_;
    queue_data.perm = 6;
    route.queue_datas.push_back(queue_data);
    protocol::BrokerData broker;
    broker.cluster = "FakeCluster";
    broker.broker_name = name;
    broker.broker_addrs[0] = broker_address;
    route.broker_datas.push_back(broker);
  }
  return route.encode();
}

void FakeBroker::handle(PeerConnection& connection, remoting::RemotingCommand& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (black_hole_) {
      ++black_holed_requests_;
      if (static_cast<RequestCode>(request.code) == RequestCode::kGetMaxOffset) ++black_holed_max_offset_requests_;
      return;
    }
  }
  auto response = remoting::RemotingCommand::response_to(request, code(ResponseCode::kSuccess), "");
  switch (static_cast<RequestCode>(request.code)) {
    case RequestCode::kGetRouteInfoByTopic: {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++route_requests_;
      }
      const auto* topic = request.ext_field("topic");
      response.body = route(topic ? *topic : "");
      break;
    }
    case RequestCode::kHeartBeat: {
      const auto heartbeat = protocol::HeartbeatData::decode(request.body);
      std::lock_guard<std::mutex> lock(mutex_);
      if (std::find(client_ids_.begin(), client_ids_.end(), heartbeat.client_id) == client_ids_.end()) {
        client_ids_.push_back(heartbeat.client_id);
      }
      break;
    }
    case RequestCode::kGetConsumerListByGroup: {
      protocol::GetConsumerListByGroupResponseBody body;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        body.consumer_id_list = client_ids_;
      }
      response.body = body.encode();
      break;
    }
    case RequestCode::kQueryConsumerOffset: {
      const auto header = protocol::QueryConsumerOffsetRequestHeader::decode(request.ext_fields);
      std::lock_guard<std::mutex> lock(mutex_);
      if (ignore_commits_) return;
      auto it = committed_.find(key_of(header.topic, header.queue_id));
      protocol::QueryConsumerOffsetResponseHeader answer;
      answer.offset = it == committed_.end() ? 0 : it->second;
      answer.encode(response.ext_fields);
      break;
    }
    case RequestCode::kUpdateConsumerOffset: {
      const auto header = protocol::UpdateConsumerOffsetRequestHeader::decode(request.ext_fields);
      std::lock_guard<std::mutex> lock(mutex_);
      ++commit_requests_;
      if (ignore_commits_) return;  // never answered
      committed_[key_of(header.topic, header.queue_id)] = header.commit_offset;
      if (request.is_oneway()) return;
      break;
    }
    case RequestCode::kGetMaxOffset:
    case RequestCode::kGetMinOffset: {
      const auto* topic = request.ext_field("topic");
      const auto* queue = request.ext_field("queueId");
      std::int64_t offset = 0;
      if (topic && queue && static_cast<RequestCode>(request.code) == RequestCode::kGetMaxOffset) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = records_.find(key_of(*topic, std::stoi(*queue)));
        if (it != records_.end() && !it->second.empty()) offset = it->second.rbegin()->first + 1;
      }
      response.ext_fields["offset"] = std::to_string(offset);
      break;
    }
    case RequestCode::kLockBatchMq: {
      // Every queue asked for is granted: the request lists them as "mqSet", the answer as
      // "lockOKMQSet", in the same MessageQueue shape.
      std::string body(request.body.begin(), request.body.end());
      const auto key = body.find("\"mqSet\"");
      if (key != std::string::npos) body.replace(key, 7, "\"lockOKMQSet\"");
      response.body = protocol::LockBatchResponseBody::decode(body).encode();
      break;
    }
    case RequestCode::kPullMessage: {
      const auto header = protocol::PullMessageRequestHeader::decode(request.ext_fields);
      std::string body;
      std::int64_t next = header.queue_offset;
      std::int64_t max_offset = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++pull_requests_;
        // The commit flag of PullSysFlag (bit 0); the broker then commits header.commit_offset.
        if ((header.sys_flag & 0x1) != 0) ++pulls_with_commit_;
        auto it = records_.find(key_of(header.topic, header.queue_id));
        if (it != records_.end()) {
          if (!it->second.empty()) max_offset = it->second.rbegin()->first + 1;
          int count = 0;
          for (auto record = it->second.lower_bound(header.queue_offset);
               record != it->second.end() && count < header.max_msg_nums; ++record, ++count) {
            body += record->second;
            next = record->first + 1;
          }
        }
      }
      protocol::PullMessageResponseHeader answer;
      answer.next_begin_offset = next;
      answer.max_offset = max_offset;
      if (body.empty()) {
        // A long poll in miniature: the client pulls again at once after the answer.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        response.code = code(ResponseCode::kPullNotFound);
      }
      answer.encode(response.ext_fields);
      response.body = std::move(body);
      break;
    }
    case RequestCode::kConsumerSendMsgBack: {
      const auto header = protocol::ConsumerSendMsgBackRequestHeader::decode(request.ext_fields);
      std::lock_guard<std::mutex> lock(mutex_);
      send_backs_.push_back(header);
      if (refuse_send_backs_) {
        response.code = code(ResponseCode::kSystemError);
        response.remark = "send-back refused by the test";
      }
      break;
    }
    case RequestCode::kSendMessage:
    case RequestCode::kSendMessageV2: {
      const auto header = static_cast<RequestCode>(request.code) == RequestCode::kSendMessage
                              ? protocol::SendMessageRequestHeader::decode(request.ext_fields)
                              : protocol::SendMessageRequestHeaderV2::decode(request.ext_fields).to_v1();
      protocol::SendMessageResponseHeader answer;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        sends_.emplace_back(header, request.body);
        answer.queue_offset = static_cast<std::int64_t>(sends_.size());
        answer.msg_id = "7F00000100002A9F" + std::to_string(1000000000000000 + next_commit_log_offset_++);
      }
      answer.queue_id = header.queue_id;
      answer.encode(response.ext_fields);
      break;
    }
    default:
      break;
  }
  if (request.is_oneway()) return;
  connection.send(response);
}

}  // namespace rocketmq::test
