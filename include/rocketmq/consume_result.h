#pragma once

namespace rocketmq {

// What a listener returns for its batch. A listener that throws counts as ReconsumeLater.
//   Success         the whole batch is consumed; its offsets may be committed.
//   ReconsumeLater  concurrently: every message of the batch goes back to the broker for a later
//                   retry (%RETRY%<group>, delay growing with the retry count) and is dead-lettered
//                   after max_reconsume_times; orderly: the queue pauses for the suspend time and the
//                   same batch is delivered again.
enum class ConsumeResult { Success, ReconsumeLater };

}  // namespace rocketmq
