// template_cache.cpp: TemplateCache (mustache_cache.hpp).
//
// Thread/fiber contract: see the header. reload() builds a complete new
// TemplateSet off to the side (reusing unchanged compiled templates) and
// swaps the pointer, so readers never see a half-reloaded set.
#include <spindle/mustache_cache.hpp>

#include <spdlog/spdlog.h>

#include "mustache/directory.hpp"

namespace spindle {

TemplateCache::TemplateCache(std::filesystem::path dir, std::string extension)
    : dir_(std::move(dir)), extension_(std::move(extension)) {
  auto set = std::make_shared<TemplateSet>();
  for (const auto& f : mustache::ListTemplates(dir_, extension_)) {
    set->add(f.name, Template::compile_file(f.path));
    stamps_[f.name] = Stamp{f.mtime, f.size};
  }
  set->validate();
  set_ = std::move(set);
  spdlog::info("templates loaded from '{}': {} templates", dir_.string(), set_->size());
}

std::shared_ptr<const TemplateSet> TemplateCache::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return set_;
}

void TemplateCache::render(std::string_view name, const nlohmann::json& data, Sink& sink,
                           const RenderOptions& options) const {
  std::shared_ptr<const TemplateSet> set = snapshot();
  set->render(name, data, sink, options);
}

std::string TemplateCache::render(std::string_view name, const nlohmann::json& data,
                                  const RenderOptions& options) const {
  std::shared_ptr<const TemplateSet> set = snapshot();
  return set->render(name, data, options);
}

TemplateCache::ReloadResult TemplateCache::reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  std::shared_ptr<const TemplateSet> old = snapshot();
  auto set = std::make_shared<TemplateSet>();
  std::map<std::string, Stamp> stamps;
  ReloadResult r;
  for (const auto& f : mustache::ListTemplates(dir_, extension_)) {
    auto it = stamps_.find(f.name);
    const Template* prev = old->find_partial(f.name);
    if (it != stamps_.end() && prev != nullptr && it->second.mtime == f.mtime &&
        it->second.size == f.size) {
      set->add(f.name, *prev);
      ++r.unchanged;
    } else {
      set->add(f.name, Template::compile_file(f.path));
      ++(it == stamps_.end() ? r.added : r.changed);
    }
    stamps[f.name] = Stamp{f.mtime, f.size};
  }
  for (const auto& [name, stamp] : stamps_) {
    if (stamps.find(name) == stamps.end()) ++r.removed;
  }
  set->validate();
  {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = std::move(set);
  }
  stamps_ = std::move(stamps);
  spdlog::info("templates reloaded from '{}': {} changed, {} added, {} removed", dir_.string(),
               r.changed, r.added, r.removed);
  return r;
}

}  // namespace spindle
