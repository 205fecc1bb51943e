// mustache_cache.hpp: TemplateCache, a directory of templates compiled once
// and kept in memory; reload() (called on SIGHUP) re-reads the files whose
// mtime or size changed, adds new ones and drops deleted ones.
//
// Thread/fiber contract: every call is thread-safe. render() takes a
// snapshot of the set first, so a render that yields (ChunkedSink) keeps
// using the templates it started with even if reload() swaps them meanwhile.
// The constructor and reload() do blocking file I/O (read at start-up or on
// SIGHUP, never per request); from a fiber, wrap reload() in offload() if
// the directory is large.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spindle/mustache.hpp>
#include <spindle/mustache_set.hpp>

namespace spindle {

class TemplateCache {
 public:
  // Loads and compiles every `extension` file under `dir` (see
  // TemplateSet::load_directory for naming). Throws TemplateError.
  explicit TemplateCache(std::filesystem::path dir, std::string extension = ".mustache");

  // The current templates; valid for as long as the caller holds it.
  std::shared_ptr<const TemplateSet> snapshot() const;

  // Renders template `name` (partials resolved in the same snapshot).
  // Throws TemplateError for an unknown name or a render error.
  void render(std::string_view name, const nlohmann::json& data, Sink& sink,
              const RenderOptions& options = {}) const;
  std::string render(std::string_view name, const nlohmann::json& data,
                     const RenderOptions& options = {}) const;

  struct ReloadResult {
    size_t changed = 0;
    size_t added = 0;
    size_t removed = 0;
    size_t unchanged = 0;
  };
  // All or nothing: if any new or changed file fails to compile (or names
  // an unknown parent), the current templates stay in place and the
  // TemplateError is thrown. Unchanged files are not re-read.
  ReloadResult reload();

  const std::filesystem::path& directory() const { return dir_; }

 private:
  struct Stamp {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
  };

  std::filesystem::path dir_;
  std::string extension_;
  std::mutex reload_mu_;  // serialises reload()
  mutable std::mutex mu_;  // guards set_ (held only to copy/swap the pointer)
  std::shared_ptr<const TemplateSet> set_;
  std::map<std::string, Stamp> stamps_;  // guarded by reload_mu_
};

}  // namespace spindle
