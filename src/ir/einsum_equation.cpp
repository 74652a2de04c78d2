#include "ir/einsum_equation.h"

#include <algorithm>
#include <cctype>

#include "ir/error.h"

namespace qcv::ir {
namespace {

constexpr int kLetters = 52;

int letter_label(char ch) {
  return std::isupper(static_cast<unsigned char>(ch)) ? ch - 'A' : 26 + (ch - 'a');
}

// One term of the equation: its letters, and where "..." stood (-1 if absent).
struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;
};

Term parse_term(const std::string& s, const std::string& where) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == ' ') continue;
    if (ch == '.') {
      if (s.compare(i, 3, "...") != 0 || t.ellipsis_at >= 0)
        fail("{}: malformed ellipsis in einsum term '{}'", where, s);
      t.ellipsis_at = static_cast<int>(t.letters.size());
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(ch))) {
      t.letters.push_back(letter_label(ch));
    } else {
      fail("{}: invalid character '{}' in einsum equation", where, ch);
    }
  }
  return t;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char ch : s) {
    if (ch == sep)
      parts.emplace_back();
    else
      parts.back() += ch;
  }
  return parts;
}

}  // namespace

EinsumEquation parse_einsum(const std::string& equation, const std::vector<size_t>& ranks,
                            const std::string& where) {
  std::string lhs = equation, rhs;
  const size_t arrow = equation.find("->");
  const bool explicit_output = arrow != std::string::npos;
  if (explicit_output) {
    lhs = equation.substr(0, arrow);
    rhs = equation.substr(arrow + 2);
  }
  std::vector<std::string> terms = split(lhs, ',');
  if (terms.size() != ranks.size())
    fail("{}: einsum equation '{}' has {} operands, the node {}", where, equation, terms.size(),
         ranks.size());

  EinsumEquation eq;
  std::vector<Term> parsed;
  size_t ellipsis_rank = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    parsed.push_back(parse_term(terms[k], where));
    const Term& t = parsed.back();
    if (t.ellipsis_at < 0 ? t.letters.size() != ranks[k] : t.letters.size() > ranks[k])
      fail("{}: einsum term '{}' does not match operand {} of rank {}", where, terms[k], k,
           ranks[k]);
    if (t.ellipsis_at >= 0) ellipsis_rank = std::max(ellipsis_rank, ranks[k] - t.letters.size());
  }
  eq.num_labels = kLetters + static_cast<int>(ellipsis_rank);
  auto expand = [&](const Term& t, size_t covered) {
    std::vector<int> labels(t.letters.begin(), t.letters.end());
    if (t.ellipsis_at >= 0) {
      std::vector<int> ell;
      for (size_t j = ellipsis_rank - covered; j < ellipsis_rank; ++j)
        ell.push_back(kLetters + static_cast<int>(j));
      labels.insert(labels.begin() + t.ellipsis_at, ell.begin(), ell.end());
    }
    return labels;
  };
  std::vector<int> count(kLetters, 0);
  bool any_ellipsis = false;
  for (size_t k = 0; k < parsed.size(); ++k) {
    eq.operands.push_back(expand(parsed[k], ranks[k] - parsed[k].letters.size()));
    for (int l : parsed[k].letters) ++count[l];
    any_ellipsis = any_ellipsis || parsed[k].ellipsis_at >= 0;
  }
  if (explicit_output) {
    Term out = parse_term(rhs, where);
    if (out.ellipsis_at >= 0 && !any_ellipsis && ellipsis_rank > 0)
      fail("{}: einsum output has '...' but no operand does", where);
    for (size_t i = 0; i < out.letters.size(); ++i) {
      if (count[out.letters[i]] == 0)
        fail("{}: einsum output label '{}' appears in no operand", where, rhs);
      if (std::count(out.letters.begin(), out.letters.end(), out.letters[i]) > 1)
        fail("{}: einsum output '{}' repeats a label", where, rhs);
    }
    if (out.ellipsis_at < 0 && ellipsis_rank > 0) {
      // numpy: broadcast dimensions not named in the output are summed over.
      eq.output = out.letters;
    } else {
      eq.output = expand(out, ellipsis_rank);
    }
  } else {
    // Implicit output: the ellipsis dimensions, then the letters used once, in ASCII order.
    for (size_t j = 0; j < ellipsis_rank; ++j) eq.output.push_back(kLetters + static_cast<int>(j));
    for (int l = 0; l < kLetters; ++l)
      if (count[l] == 1) eq.output.push_back(l);
  }
  return eq;
}

}  // namespace qcv::ir
