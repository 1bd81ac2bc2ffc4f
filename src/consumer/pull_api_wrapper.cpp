#include "consumer/pull_api_wrapper.h"

#include <memory>
#include <utility>

#include "consumer/message_ext_data.h"
#include "filter/subscription.h"
#include "protocol/message_const.h"

namespace rocketmq::consumer {

PullAPIWrapper::PullAPIWrapper(client::MQClientInstance& instance, Settings settings)
    : instance_(instance), settings_(std::move(settings)), retry_topic_("%RETRY%" + settings_.group) {}

protocol::PullMessageRequestHeader PullAPIWrapper::build_request(
    const MessageQueue& queue, const std::string& address, std::int64_t offset, std::int64_t committed,
    const protocol::SubscriptionData& subscription) const {
  protocol::PullMessageRequestHeader header;
  header.consumer_group = settings_.group;
  header.topic = queue.topic;
  header.queue_id = queue.queue_id;
  header.queue_offset = offset;
  header.max_msg_nums = settings_.pull_batch_size;
  header.sys_flag = kFlagSuspend | kFlagSubscription;
  // Offset 0 is never worth committing: a new group's queue would look consumed before it was.
  if (settings_.clustering && committed > 0) {
    header.sys_flag |= kFlagCommitOffset;
    header.commit_offset = committed;
  }
  const auto master = instance_.master_address(queue.broker_name);
  header.suspend_timeout_millis =
      master && *master == address ? settings_.broker_suspend_millis : settings_.replica_suspend_millis;
  header.subscription = subscription.sub_string;
  header.sub_version = subscription.sub_version;
  header.expression_type = subscription.expression_type;
  header.broker_name = queue.broker_name;
  return header;
}

std::optional<std::string> PullAPIWrapper::pull_address(const MessageQueue& queue) const {
  return instance_.broker_address(queue.broker_name, suggested_broker_id(queue));
}

void PullAPIWrapper::send(const std::string& address, const protocol::PullMessageRequestHeader& header,
                          client::PullCallback callback) {
  instance_.api().pull_message(address, header, settings_.timeout, std::move(callback));
}

std::vector<MessageExt> PullAPIWrapper::process(const MessageQueue& queue, client::PullResult& result,
                                                const protocol::SubscriptionData& subscription) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    suggested_broker_id_[queue] = result.suggest_which_broker_id;
  }
  std::vector<MessageExt> messages;
  if (result.status != client::PullStatus::Found || result.messages.empty()) return messages;
  messages.reserve(result.messages.size());
  const bool retry = queue.topic == retry_topic_;
  const bool check = !filter::accepts_everything(subscription);
  // One block for the whole pull (see PulledMessages); each message refers into it.
  auto pulled = std::make_shared<detail::PulledMessages>();
  pulled->buffer = std::move(result.buffer);
  pulled->items = std::vector<detail::MessageExtData>(result.messages.size());
  for (std::size_t i = 0; i < result.messages.size(); ++i) {
    auto& data = pulled->items[i];
    data.stored = std::move(result.messages[i]);
    // Reading tags or properties materializes the message's lazy header (not its body): only for
    // a subscription that needs the check, or a redelivery whose original topic is a property.
    if (check && !filter::matches(subscription, data.header())) continue;
    data.broker_name = queue.broker_name;
    // data.topic stays empty unless it differs from the stored topic (MessageExt::get_topic falls
    // back to stored.topic): one string copy less per message.
    if (retry) {
      const auto& properties = data.header().properties;
      auto original = properties.find(protocol::message_property::kRetryTopic);
      if (original != properties.end()) data.topic = original->second;
    }
    messages.push_back(
        detail::MessageExtAccess::make(std::shared_ptr<const detail::MessageExtData>(pulled, &data)));
  }
  result.messages.clear();
  return messages;
}

void PullAPIWrapper::pull_failed(const MessageQueue& queue) { forget(queue); }

void PullAPIWrapper::forget(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  suggested_broker_id_.erase(queue);
}

std::int64_t PullAPIWrapper::suggested_broker_id(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = suggested_broker_id_.find(queue);
  return it == suggested_broker_id_.end() ? 0 : it->second;
}

}  // namespace rocketmq::consumer
