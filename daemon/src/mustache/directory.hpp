// directory.hpp: lists the template files of a directory (shared by
// TemplateSet::load_directory and TemplateCache::reload).
//
// Thread/fiber contract: blocking file system calls; call at load/reload
// time, not per request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::mustache {

struct TemplateFile {
  std::string name;  // relative path without the extension, '/'-separated
  std::filesystem::path path;
  std::filesystem::file_time_type mtime;
  uintmax_t size = 0;
};

// Sorted by name. Throws TemplateError if `dir` cannot be listed.
std::vector<TemplateFile> ListTemplates(const std::filesystem::path& dir,
                                        std::string_view extension);

}  // namespace spindle::mustache
