// text_file.hpp: whole-file read and write for tests and their harnesses
// (logs, configs). Plain blocking helpers for test threads.
#pragma once

#include <string>

namespace spindle::test {

// The file's bytes; empty if it cannot be opened.
std::string ReadFile(const std::string& path);
// Replaces the file with `text`; throws std::runtime_error if it cannot.
void WriteFile(const std::string& path, const std::string& text);

}  // namespace spindle::test
