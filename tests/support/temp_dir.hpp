// TempDir: a private temp directory under $TMPDIR (or /tmp), mode 0755 so
// that nginx workers can reach sockets in it, removed with its contents.
// Plain helper for test threads; the constructor throws if mkdtemp fails.
#pragma once

#include <string>

namespace spindle::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // `name` inside the directory.
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace spindle::test
