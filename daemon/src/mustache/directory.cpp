// directory.cpp: ListTemplates (directory.hpp).
#include "mustache/directory.hpp"

#include <algorithm>
#include <system_error>

#include <spindle/mustache.hpp>

namespace spindle::mustache {

namespace fs = std::filesystem;

std::vector<TemplateFile> ListTemplates(const fs::path& dir, std::string_view extension) {
  std::vector<TemplateFile> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) throw TemplateError(dir.string(), 0, 0, "cannot list template directory: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw TemplateError(dir.string(), 0, 0, "cannot list template directory: " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string rel = it->path().lexically_relative(dir).generic_string();
    if (rel.size() <= extension.size() ||
        rel.compare(rel.size() - extension.size(), extension.size(), extension) != 0) {
      continue;
    }
    TemplateFile f;
    f.name = rel.substr(0, rel.size() - extension.size());
    f.path = it->path();
    f.mtime = it->last_write_time(ec);
    f.size = it->file_size(ec);
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.name < b.name; });
  return out;
}

}  // namespace spindle::mustache
