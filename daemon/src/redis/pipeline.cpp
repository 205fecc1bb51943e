// Pipeline and Transaction (see redis_pipeline.hpp): commands are formatted
// at add() time with redisFormatCommandArgv into one buffer; execute() hands
// the buffer to ClientCore::Batch.
#include <spindle/redis_pipeline.hpp>

#include <hiredis/hiredis.h>

#include "redis/client_core.hpp"

namespace spindle::redis {

Pipeline& Pipeline::add_argv(std::span<const std::string_view> argv) {
  if (argv.empty()) throw std::invalid_argument("redis pipeline: empty command");
  std::vector<const char*> args(argv.size());
  std::vector<size_t> lens(argv.size());
  for (size_t i = 0; i < argv.size(); ++i) {
    args[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), args.data(),
                                         lens.data());
  if (len < 0) throw std::bad_alloc();
  buffer_.append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
  ends_.push_back(buffer_.size());
  return *this;
}

std::vector<Reply> Pipeline::execute() {
  std::string buffer = std::move(buffer_);
  std::vector<size_t> ends = std::move(ends_);
  buffer_.clear();
  ends_.clear();
  return client_.core_->Batch(buffer, ends, false, client_.cap_);
}

Reply Transaction::execute() {
  Pipeline& p = pipeline_;
  std::string buffer = std::move(p.buffer_);
  std::vector<size_t> ends = std::move(p.ends_);
  p.buffer_.clear();
  p.ends_.clear();
  if (ends.empty()) return Reply::Array({});
  std::vector<Reply> replies = p.client_.core_->Batch(buffer, ends, true, p.client_.cap_);
  const std::string& address = p.client_.config().address;
  Reply& exec = replies.back();
  if (exec.is_error() || exec.is_nil()) {
    std::string why = exec.is_error() ? exec.str() : "EXEC returned nil";
    for (size_t i = 1; i + 1 < replies.size(); ++i) {
      if (replies[i].is_error()) {
        why += " (command " + std::to_string(i) + ": " + replies[i].str() + ")";
        break;
      }
    }
    throw ReplyError(address, "redis '" + address + "': transaction aborted: " + why);
  }
  return std::move(exec);
}

}  // namespace spindle::redis
