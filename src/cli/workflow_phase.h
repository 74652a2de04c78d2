// A workflow phase's identity: the config values it depends on, digests of its input files, the
// keys of the phases it builds on and qcv's version, stored as phases/NAME.key.json. A rerun
// compares the stored key with the new one: equal and finished -> the output is reused; equal but
// unfinished -> the phase resumes; different -> it reruns, and the reason names what changed.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace qcv::cli {

// A model (or other small input) file: its size and a 64-bit FNV-1a hash of its bytes.
nlohmann::json file_digest(const std::string& path);

// A dataset given as a path: size and modification time of the path and of the entries up to two
// levels below it (class folders and their files), not their bytes (datasets are large). A
// dataset given by name (e.g. "fashion-mnist") is keyed by its name alone.
nlohmann::json dataset_stamp(const std::string& spec);

// A short digest of a key, for the keys of downstream phases.
std::string key_digest(const nlohmann::json& key);

struct PhaseCheck {
  enum State { Fresh, Reuse, Resume, Rerun } state = Fresh;
  std::string reason;  // for Rerun: what changed ("ptq.scheme: tensorrt -> onnxruntime")
};

// `output_exists`: the phase's output is present. A missing or unreadable key file with an output
// present is a Rerun ("no record of what produced it").
PhaseCheck check_phase(const std::string& key_file, const nlohmann::json& key, bool output_exists);

// Records the key; `done` marks the phase finished (written after its outputs).
void record_phase(const std::string& key_file, const nlohmann::json& key, bool done);

// The differences between two keys as "a.b: old -> new" (at most 3, then "and N more").
std::string describe_change(const nlohmann::json& before, const nlohmann::json& now);

}  // namespace qcv::cli
