#include "format/npy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace edgeai {
namespace {

namespace fs = std::filesystem;

// Debian's python has numpy; the python3 on PATH may not.
constexpr const char* kPython = "/usr/bin/python3";

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "edgeai_npy_test_XXXXXX").string();
    dir_ = ::mkdtemp(templ.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // Runs a Python script with numpy; false if numpy is not there.
  bool has_numpy() const {
    return std::system(str_cat(kPython, " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
  }
  int run_python(const std::string& script) const {
    std::ofstream(file("script.py")) << script;
    return std::system(str_cat(kPython, " ", file("script.py"), " ", dir_).c_str());
  }
  void write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream(file(name), std::ios::binary) << bytes;
  }

  std::string dir_;
};

constexpr const char* kWriteArrays = R"PY(
import sys
import numpy as np
from numpy.lib import format as npformat
d = sys.argv[1]
a = np.arange(12)
np.save(d + '/f4.npy', (a.reshape(3, 4) / 4).astype('<f4'))
np.save(d + '/f8.npy', (a / 8).astype('<f8'))
np.save(d + '/f2.npy', (a / 2).astype('<f2'))
np.save(d + '/i1.npy', (a - 6).astype('i1'))
np.save(d + '/u1.npy', (a * 20).astype('u1'))
np.save(d + '/i2.npy', (a * -1000).astype('<i2').reshape(2, 2, 3))
np.save(d + '/i4.npy', (a * 100000).astype('<i4'))
np.save(d + '/i8.npy', (a * 10**12).astype('<i8'))
np.save(d + '/b1.npy', a % 3 == 0)
np.save(d + '/scalar.npy', np.float32(2.5))
np.save(d + '/empty.npy', np.zeros((0, 3), '<f4'))
np.save(d + '/fortran.npy', np.asfortranarray((a.reshape(3, 4) / 4).astype('<f4')))
np.save(d + '/big_endian.npy', a.astype('>f4'))
np.save(d + '/complex.npy', a.astype('<c8'))
for v in (1, 2, 3):
    with open(d + '/v%d.npy' % v, 'wb') as f:
        npformat.write_array(f, (a / 4).astype('<f4'), version=(v, 0))
)PY";

template <typename T>
void expect_values(const Result<Tensor>& t, DType dtype, const Shape& shape, T (*value)(int)) {
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), dtype);
  EXPECT_EQ(t->shape(), shape);
  for (int i = 0; i < t->num_elements(); ++i) EXPECT_EQ(t->data<T>()[i], value(i)) << i;
}

TEST_F(NpyTest, ReadsWhatNumpyWrites) {
  if (!has_numpy()) GTEST_SKIP() << kPython << " has no numpy";
  ASSERT_EQ(run_python(kWriteArrays), 0);
  expect_values<float>(read_npy(file("f4.npy")), DType::kFloat32, {3, 4}, [](int i) { return i / 4.0f; });
  expect_values<double>(read_npy(file("f8.npy")), DType::kFloat64, {12}, [](int i) { return i / 8.0; });
  expect_values<std::int8_t>(read_npy(file("i1.npy")), DType::kInt8, {12},
                             [](int i) { return static_cast<std::int8_t>(i - 6); });
  expect_values<std::uint8_t>(read_npy(file("u1.npy")), DType::kUInt8, {12},
                              [](int i) { return static_cast<std::uint8_t>(i * 20); });
  expect_values<std::int16_t>(read_npy(file("i2.npy")), DType::kInt16, {2, 2, 3},
                              [](int i) { return static_cast<std::int16_t>(i * -1000); });
  expect_values<std::int32_t>(read_npy(file("i4.npy")), DType::kInt32, {12}, [](int i) { return i * 100000; });
  expect_values<std::int64_t>(read_npy(file("i8.npy")), DType::kInt64, {12},
                              [](int i) { return i * std::int64_t{1000000000000}; });
  expect_values<bool>(read_npy(file("b1.npy")), DType::kBool, {12}, [](int i) { return i % 3 == 0; });
  expect_values<float>(read_npy(file("scalar.npy")), DType::kFloat32, {}, [](int) { return 2.5f; });
  expect_values<float>(read_npy(file("empty.npy")), DType::kFloat32, {0, 3}, [](int) { return 0.0f; });
  // float16 halves of 0..11: 0x0000, 0x3800 (0.5), 0x3C00 (1.0), ...
  Result<Tensor> f2 = read_npy(file("f2.npy"));
  ASSERT_TRUE(f2.is_ok());
  EXPECT_EQ(f2->dtype(), DType::kFloat16);
  EXPECT_EQ(f2->data<std::uint16_t>()[1], 0x3800);
  EXPECT_EQ(f2->data<std::uint16_t>()[2], 0x3C00);
  for (const char* v : {"v1.npy", "v2.npy", "v3.npy"}) {
    expect_values<float>(read_npy(file(v)), DType::kFloat32, {12}, [](int i) { return i / 4.0f; });
  }
}

TEST_F(NpyTest, RefusesFortranOrderBigEndianAndComplexNamingTheFile) {
  if (!has_numpy()) GTEST_SKIP() << kPython << " has no numpy";
  ASSERT_EQ(run_python(kWriteArrays), 0);
  Result<Tensor> t = read_npy(file("fortran.npy"));
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().message(), file("fortran.npy") +
                                      ": Fortran-order arrays are not supported; save a C-order array "
                                      "(numpy.ascontiguousarray)");
  t = read_npy(file("big_endian.npy"));
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().message().rfind(file("big_endian.npy") + ": .npy dtype '>f4' is not supported", 0), 0u)
      << t.status().message();
  t = read_npy(file("complex.npy"));
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("'<c8' is not supported"), std::string::npos);
}

TEST_F(NpyTest, NumpyReadsWhatWeWrite) {
  if (!has_numpy()) GTEST_SKIP() << kPython << " has no numpy";
  ASSERT_TRUE(write_npy(file("f4.npy"), Tensor::from_values<float>({2, 3}, {0, 1.5f, 3, 4.5f, 6, 7.5f})).is_ok());
  ASSERT_TRUE(write_npy(file("i8.npy"), Tensor::from_values<std::int64_t>({3}, {-1, 0, INT64_MAX})).is_ok());
  ASSERT_TRUE(write_npy(file("b1.npy"), Tensor::from_values<bool>({1, 1, 2}, {true, false})).is_ok());
  ASSERT_TRUE(write_npy(file("u1.npy"), Tensor::from_values<std::uint8_t>({}, {7})).is_ok());
  ASSERT_TRUE(write_npy(file("empty.npy"), Tensor::from_vector<std::int8_t>({4, 0}, {})).is_ok());
  const int rc = run_python(R"PY(
import sys
import numpy as np
d = sys.argv[1]
x = np.load(d + '/f4.npy')
assert x.dtype == np.float32 and x.shape == (2, 3) and (x == np.arange(6).reshape(2, 3) * 1.5).all(), x
x = np.load(d + '/i8.npy')
assert x.dtype == np.int64 and list(x) == [-1, 0, 2**63 - 1], x
x = np.load(d + '/b1.npy')
assert x.dtype == np.bool_ and x.shape == (1, 1, 2) and x.tolist() == [[[True, False]]], x
x = np.load(d + '/u1.npy')
assert x.dtype == np.uint8 and x.shape == () and x == 7, x
x = np.load(d + '/empty.npy')
assert x.dtype == np.int8 and x.shape == (4, 0), x
)PY");
  EXPECT_EQ(rc, 0);
}

TEST_F(NpyTest, WritesA64ByteAlignedVersion1Header) {
  const std::vector<std::uint8_t> bytes = serialize_npy(Tensor::from_values<float>({3}, {1, 2, 3}));
  // 10-byte prefix + 58-byte dict + padding and '\n' = 128, then 12 data bytes.
  ASSERT_EQ(bytes.size(), 128u + 12u);
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  EXPECT_EQ(bytes[8] | (bytes[9] << 8), 118);
  const std::string header(bytes.begin() + 10, bytes.begin() + 128);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_EQ(header.substr(0, dict.size()), dict);
  EXPECT_EQ(header.find_first_not_of(' ', dict.size()), header.size() - 1);
  EXPECT_EQ(header.back(), '\n');
  Result<Tensor> t = parse_npy(bytes.data(), bytes.size(), "mem");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->data<float>()[2], 3.0f);
}

std::string npy_v1(const std::string& dict, const std::string& data) {
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + data;
}

TEST_F(NpyTest, HandBuiltBadFilesNameTheFile) {
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::string ok_dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
  const Case cases[] = {
      {"NOTNUMPY0123", "not a .npy file (bad magic)"},
      {std::string("\x93NUMPY\x04\x00\x10\x00", 10) + "xxxx", ".npy format version 4.0 is not supported (1.0, 2.0, 3.0)"},
      {npy_v1(ok_dict, "").substr(0, 30), "truncated .npy header"},
      {npy_v1("{'descr': '<i4', 'shape': (2,), }", std::string(8, '\0')), "descr, fortran_order and shape are required"},
      {npy_v1("{'descr': '<i4', 'fortran_order': Maybe, 'shape': (2,), }", ""), "fortran_order is not True/False"},
      {npy_v1("{'descr': '<i4', 'fortran_order': False, 'shape': (2, -1), }", ""), "shape holds something other"},
      {npy_v1("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }", ""), "structured dtypes"},
      {npy_v1("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", ""), "unknown key 'extra'"},
      {npy_v1("['descr']", ""), "expected '{'"},
      {npy_v1(ok_dict, std::string(7, '\0')), ".npy data is 7 bytes but shape [2] of <i4 needs 8"},
      {npy_v1("{'descr': '<i4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", ""), "is too large"},
      {npy_v1("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", std::string("\x01\x02", 2)),
       "bool element 1 has value 2"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string name = str_cat("bad", i++, ".npy");
    write_bytes(name, c.bytes);
    Result<Tensor> t = read_npy(file(name));
    ASSERT_FALSE(t.is_ok()) << c.message;
    EXPECT_EQ(t.status().message().rfind(file(name) + ": ", 0), 0u) << t.status().message();
    EXPECT_NE(t.status().message().find(c.message), std::string::npos) << t.status().message();
  }
  Result<Tensor> missing = read_npy(file("absent.npy"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(NpyTest, WriteReportsAnUnwritablePath) {
  Status s = write_npy("/nonexistent-dir/x.npy", Tensor::from_values<float>({1}, {1}));
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("/nonexistent-dir/x.npy: cannot create", 0), 0u);
  s = write_npy(file("null.npy"), Tensor());
  ASSERT_FALSE(s.is_ok());
}

}  // namespace
}  // namespace edgeai
