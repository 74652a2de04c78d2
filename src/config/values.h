// Checked YAML for every config qcv reads (trainer and workflow configs): mappings may hold only
// the keys their reader knows, and numbers go through ir/parse_value.h (whole, finite, in range).
// Errors name the key; callers add the file.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace qcv::config {

// Reads a YAML file as a node; errors name the file (missing, a directory, bad YAML).
YAML::Node load_yaml_file(const std::string& path, const std::string& what = "config");

// A mapping (or null) whose keys are all in `known`; `where` names it ("config 'x.yaml': qat").
void require_known_keys(const YAML::Node& node, const std::vector<std::string>& known,
                        const std::string& where);

// Fails naming `key` unless `text` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates)
// without control characters other than tab. YAML is Unicode text, yaml-cpp writes invalid bytes
// back as U+FFFD and a trailing carriage return unquoted (read back as a line break), so a config
// qcv writes would not read back as the one it came from; names and paths never need them.
void require_text(const std::string& key, const std::string& text);

// Typed scalar reads of node[key] if present (the target keeps its value otherwise).
void read(const YAML::Node& node, const std::string& key, std::string& out);
void read(const YAML::Node& node, const std::string& key, std::vector<std::string>& out);
void read(const YAML::Node& node, const std::string& key, int& out, int64_t lo, int64_t hi);
void read(const YAML::Node& node, const std::string& key, int64_t& out, int64_t lo, int64_t hi);
void read(const YAML::Node& node, const std::string& key, double& out, double lo, double hi);

}  // namespace qcv::config
