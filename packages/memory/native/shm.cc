// multiproc_shm: OS shared memory and a cross-process futex for the 'spawn' start method.
//
// What it gives JavaScript (see src/os-memory.ts for the typed wrapper):
//   shmCreate(name, size) / shmOpen(name) / shmUnlink(name)   POSIX shared memory (/dev/shm)
//   mapFile(path, size?) / msync(sab)                         MAP_SHARED file mappings
//   futexWait / futexWake / futexWaitAsync / futexCancel      wait/wake on a 32-bit word
//   setParentDeathSignal(signal)                              prctl(PR_SET_PDEATHSIG)
//
// Design notes
// - Mappings are SharedArrayBuffers over an external V8 BackingStore whose deleter munmaps.
//   Node-API on Node 20 cannot make an external SharedArrayBuffer, hence the V8 API (the addon
//   is context-aware, so it loads in worker threads too).
// - Each object (keyed by st_dev:st_ino:length) is mapped ONCE per process: a process-wide
//   cache holds weak_ptr<BackingStore>, so every thread of a process sees the same address
//   (V8's Atomics.wait keys on addresses). The futexes below are shared futexes (no
//   FUTEX_PRIVATE_FLAG): the kernel keys them on (inode, offset), so they also work between
//   processes and between two mappings of one file.
// - Async waits: one small helper thread per pending wait (64 KiB stack, all signals blocked),
//   which blocks in the kernel and reports through a uv_async_t on the JS thread's loop (the
//   ref'd handle keeps the loop alive, as a blocked call should). Cancellation: on Linux 5.16+
//   the thread waits with futex_waitv on {private cancel word, shared word}, so a cancel is
//   exact and disturbs nobody; on older kernels (or when seccomp hides futex_waitv) it waits with
//   FUTEX_WAIT_BITSET in 100 ms slices and a cancel wakes it through its own bitset bit.
//   Multiplexing many waits on one futex_waitv thread would save threads, but needs per-wait
//   deadlines and re-arming; a thread per pending wait is simple and was enough so far.
// - Sync waits sleep in 50 ms slices and, between slices, run an empty JS function: a pending
//   worker.terminate() then unwinds the thread (a futex syscall, unlike Atomics.wait, is not
//   interrupted by V8's termination).
// - An environment cleanup hook cancels and joins every pending wait of an exiting worker
//   thread (or environment) before its isolate goes away: no callback into a dead isolate.

#include <node.h>
#include <uv.h>
#include <v8.h>

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

namespace {

using v8::BackingStore;
using v8::Context;
using v8::Exception;
using v8::External;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Global;
using v8::HandleScope;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Number;
using v8::Object;
using v8::SharedArrayBuffer;
using v8::String;
using v8::Value;

// ---------------------------------------------------------------------------------------------
// Errors

Local<String> Str(Isolate* isolate, const std::string& s) {
  return String::NewFromUtf8(isolate, s.c_str()).ToLocalChecked();
}

// Throws an Error shaped like Node's fs errors: message "EEXIST: File exists, shm_open '/x'",
// code 'EEXIST', errno -17, syscall, path.
void ThrowErrno(Isolate* isolate, int err, const char* syscall, const std::string& path,
                const char* extra = nullptr) {
  const char* code = uv_err_name(-err);
  std::string msg = std::string(code) + ": " + strerror(err);
  if (extra) msg += std::string(" (") + extra + ")";
  msg += std::string(", ") + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  Local<Context> context = isolate->GetCurrentContext();
  Local<Object> error = Exception::Error(Str(isolate, msg)).As<Object>();
  error->Set(context, Str(isolate, "code"), Str(isolate, code)).Check();
  error->Set(context, Str(isolate, "errno"), Integer::New(isolate, -err)).Check();
  error->Set(context, Str(isolate, "syscall"), Str(isolate, syscall)).Check();
  if (!path.empty()) error->Set(context, Str(isolate, "path"), Str(isolate, path)).Check();
  isolate->ThrowException(error);
}

void ThrowType(Isolate* isolate, const std::string& msg) {
  isolate->ThrowException(Exception::TypeError(Str(isolate, msg)));
}

void ThrowRange(Isolate* isolate, const std::string& msg) {
  isolate->ThrowException(Exception::RangeError(Str(isolate, msg)));
}

bool GetString(Isolate* isolate, Local<Value> v, const char* what, std::string* out) {
  if (!v->IsString()) {
    ThrowType(isolate, std::string(what) + " must be a string");
    return false;
  }
  String::Utf8Value s(isolate, v);
  out->assign(*s, s.length());
  if (out->find('\0') != std::string::npos) {
    ThrowType(isolate, std::string(what) + " must not contain NUL characters");
    return false;
  }
  return true;
}

// A byte size: a positive integer (max 2^53 - 1).
bool GetSize(Isolate* isolate, Local<Value> v, const char* what, size_t* out) {
  if (!v->IsNumber()) {
    ThrowType(isolate, std::string(what) + " must be a number");
    return false;
  }
  double d = v.As<Number>()->Value();
  if (!(d >= 1) || d != std::floor(d) || d > 9007199254740991.0) {
    ThrowRange(isolate, std::string(what) + " must be a positive integer");
    return false;
  }
  *out = static_cast<size_t>(d);
  return true;
}

// POSIX shm names are "/name" with no other slash; a missing leading slash is added.
bool ShmName(Isolate* isolate, Local<Value> v, std::string* out) {
  std::string name;
  if (!GetString(isolate, v, "name", &name)) return false;
  if (name.empty() || name[0] != '/') name = "/" + name;
  if (name.size() < 2 || name.size() > 250 || name.find('/', 1) != std::string::npos ||
      name == "/." || name == "/..") {
    ThrowType(isolate, "a shared memory name must be 1-249 characters without '/' (got '" +
                           name + "')");
    return false;
  }
  *out = name;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The process-wide mapping cache (intentionally leaked: a deleter may run during exit).

std::mutex& MapsMutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

std::unordered_map<std::string, std::weak_ptr<BackingStore>>& Maps() {
  static auto* maps = new std::unordered_map<std::string, std::weak_ptr<BackingStore>>();
  return *maps;
}

struct MappingInfo {
  std::string key;
  std::string origin;  // "shm:/name" or "file:/path" of the first mapping
};

// Live mappings by address (under MapsMutex): lets a SharedArrayBuffer that reached a thread by
// postMessage be recognised as OS memory (mappingOf).
std::unordered_map<uintptr_t, MappingInfo*>& ByAddress() {
  static auto* by = new std::unordered_map<uintptr_t, MappingInfo*>();
  return *by;
}

void UnmapDeleter(void* data, size_t length, void* deleter_data) {
  auto* info = static_cast<MappingInfo*>(deleter_data);
  {
    std::lock_guard<std::mutex> lock(MapsMutex());
    auto it = Maps().find(info->key);
    // A newer mapping of the same object may already have taken the slot: keep it.
    if (it != Maps().end() && it->second.expired()) Maps().erase(it);
    ByAddress().erase(reinterpret_cast<uintptr_t>(data));
  }
  munmap(data, length);  // after the erase: the address may be reused at once
  delete info;
}

// Maps `length` bytes of `fd` (MAP_SHARED), reusing this process's live mapping of the same
// object and length. Throws and returns nullptr on failure. Never closes fd.
std::shared_ptr<BackingStore> MapFd(Isolate* isolate, int fd, size_t length,
                                    const std::string& path, const char* kind) {
  struct stat st;
  if (fstat(fd, &st) < 0) {
    ThrowErrno(isolate, errno, "fstat", path);
    return nullptr;
  }
  std::string key = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                    std::to_string(length);
  std::shared_ptr<BackingStore> found;  // destroyed after the lock is released
  {
    std::lock_guard<std::mutex> lock(MapsMutex());
    auto it = Maps().find(key);
    if (it != Maps().end()) found = it->second.lock();
  }
  if (found) return found;

  void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    ThrowErrno(isolate, errno, "mmap", path);
    return nullptr;
  }
  auto* info = new MappingInfo{key, std::string(kind) + ":" + path};
  std::shared_ptr<BackingStore> mine =
      SharedArrayBuffer::NewBackingStore(p, length, UnmapDeleter, info);
  std::shared_ptr<BackingStore> other;  // a racing thread's mapping; wins if it is alive
  {
    std::lock_guard<std::mutex> lock(MapsMutex());
    ByAddress()[reinterpret_cast<uintptr_t>(p)] = info;
    auto& slot = Maps()[key];
    other = slot.lock();
    if (!other) slot = mine;
  }
  return other ? other : mine;  // the loser (if any) is unmapped here, outside the lock
}

void ReturnStore(const FunctionCallbackInfo<Value>& args, std::shared_ptr<BackingStore> store) {
  if (!store) return;  // exception pending
  args.GetReturnValue().Set(SharedArrayBuffer::New(args.GetIsolate(), std::move(store)));
}

// ---------------------------------------------------------------------------------------------
// Shared memory and mapped files

// shmCreate(name, size): a new zero-filled segment (O_EXCL: code 'EEXIST' if the name exists).
void ShmCreate(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string name;
  size_t size;
  if (!ShmName(isolate, args[0], &name) || !GetSize(isolate, args[1], "size", &size)) return;
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return ThrowErrno(isolate, errno, "shm_open", name);
  auto fail = [&](int err, const char* syscall, const char* extra = nullptr) {
    close(fd);
    shm_unlink(name.c_str());
    ThrowErrno(isolate, err, syscall, name, extra);
  };
  if (ftruncate(fd, static_cast<off_t>(size)) < 0) return fail(errno, "ftruncate");
  // Reserve the pages now: a full /dev/shm (64 MiB in a default Docker container) then fails
  // here with ENOSPC instead of killing the process with SIGBUS on first touch.
  int r = posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (r != 0 && r != EOPNOTSUPP && r != EINVAL && r != ENOSYS) {
    return fail(r, "posix_fallocate", "is /dev/shm full?");
  }
  std::shared_ptr<BackingStore> store = MapFd(isolate, fd, size, name, "shm");
  if (!store) {
    close(fd);
    shm_unlink(name.c_str());
    return;
  }
  close(fd);
  ReturnStore(args, std::move(store));
}

// shmOpen(name): an existing segment, its whole size (code 'ENOENT' if there is none).
void ShmOpen(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string name;
  if (!ShmName(isolate, args[0], &name)) return;
  int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(isolate, errno, "shm_open", name);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(isolate, err, "fstat", name);
  }
  if (st.st_size <= 0) {
    close(fd);
    return ThrowErrno(isolate, EINVAL, "shm_open", name, "the segment is empty");
  }
  std::shared_ptr<BackingStore> store = MapFd(isolate, fd, static_cast<size_t>(st.st_size), name, "shm");
  close(fd);
  ReturnStore(args, std::move(store));
}

// shmUnlink(name): removes the name; mappings stay valid until unmapped.
void ShmUnlink(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string name;
  if (!ShmName(isolate, args[0], &name)) return;
  if (shm_unlink(name.c_str()) < 0) return ThrowErrno(isolate, errno, "shm_unlink", name);
}

// mapFile(path, size?): maps a file MAP_SHARED (created if missing; extended to `size` if
// shorter). Maps `size` bytes, or the whole file when size is omitted.
void MapFile(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string path;
  if (!GetString(isolate, args[0], "path", &path)) return;
  bool has_size = !args[1]->IsUndefined() && !args[1]->IsNull();
  size_t size = 0;
  if (has_size && !GetSize(isolate, args[1], "size", &size)) return;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return ThrowErrno(isolate, errno, "open", path);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(isolate, err, "fstat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return ThrowErrno(isolate, EINVAL, "mmap", path, "not a regular file");
  }
  if (has_size && static_cast<off_t>(size) > st.st_size) {
    if (ftruncate(fd, static_cast<off_t>(size)) < 0) {
      int err = errno;
      close(fd);
      return ThrowErrno(isolate, err, "ftruncate", path);
    }
  } else if (!has_size) {
    if (st.st_size == 0) {
      close(fd);
      return ThrowErrno(isolate, EINVAL, "mmap", path, "cannot map an empty file without a size");
    }
    size = static_cast<size_t>(st.st_size);
  }
  std::shared_ptr<BackingStore> store = MapFd(isolate, fd, size, path, "file");
  close(fd);
  ReturnStore(args, std::move(store));
}

bool GetSab(Isolate* isolate, Local<Value> v, Local<SharedArrayBuffer>* out) {
  if (!v->IsSharedArrayBuffer()) {
    ThrowType(isolate, "expected a SharedArrayBuffer");
    return false;
  }
  *out = v.As<SharedArrayBuffer>();
  return true;
}

// msync(sab): writes a file mapping back to its file (MS_SYNC). Harmless on shm segments.
void Msync(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  Local<SharedArrayBuffer> sab;
  if (!GetSab(isolate, args[0], &sab)) return;
  if (sab->ByteLength() == 0) return;
  if (msync(sab->Data(), sab->ByteLength(), MS_SYNC) < 0) {
    return ThrowErrno(isolate, errno, "msync", "");
  }
}

// addressOf(sab): the mapping's address as a BigInt (tests check one mapping per process).
void AddressOf(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  Local<SharedArrayBuffer> sab;
  if (!GetSab(isolate, args[0], &sab)) return;
  args.GetReturnValue().Set(
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<uintptr_t>(sab->Data())));
}

// mappingOf(sab): "shm:/name" / "file:/path" if sab is a mapping made by this addon (in any
// thread of this process, e.g. one that arrived by postMessage), else undefined.
void MappingOf(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (!args[0]->IsSharedArrayBuffer()) return;
  auto address = reinterpret_cast<uintptr_t>(args[0].As<SharedArrayBuffer>()->Data());
  std::string origin;
  {
    std::lock_guard<std::mutex> lock(MapsMutex());
    auto it = ByAddress().find(address);
    if (it == ByAddress().end()) return;
    origin = it->second->origin;
  }
  args.GetReturnValue().Set(Str(isolate, origin));
}

// ---------------------------------------------------------------------------------------------
// Futex

enum WaitOutcome { kOk = 0, kNotEqual = 1, kTimedOut = 2, kCancelled = 3, kError = 4 };

// Sync waiters wait on bit 0; async waiters of the fallback path on bits 1..31, so a cancel
// (FUTEX_WAKE_BITSET on one bit) never disturbs a blocked thread. FUTEX_WAKE wakes all bits.
constexpr uint32_t kSyncBit = 1u;

long Futex(void* addr, int op, uint32_t val, const struct timespec* ts, uint32_t val3) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, val3);
}

struct FutexWaitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};

bool DetectWaitv() {
  // MULTIPROC_FUTEX_NO_WAITV=1 forces the fallback (to test it on new kernels).
  const char* off = getenv("MULTIPROC_FUTEX_NO_WAITV");
  if (off && off[0] == '1') return false;
  // nr == 0 is EINVAL where futex_waitv exists, ENOSYS (or EPERM under seccomp) where not.
  long r = syscall(SYS_futex_waitv, nullptr, 0, 0, nullptr, CLOCK_MONOTONIC);
  return r < 0 && errno == EINVAL;
}

bool HasWaitv() {
  static const bool has = DetectWaitv();
  return has;
}

struct timespec Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

struct timespec AddMs(struct timespec ts, double ms) {
  double whole = std::floor(ms / 1000.0);
  ts.tv_sec += static_cast<time_t>(whole);
  ts.tv_nsec += static_cast<long>((ms - whole * 1000.0) * 1e6);
  while (ts.tv_nsec >= 1000000000L) {
    ts.tv_nsec -= 1000000000L;
    ts.tv_sec += 1;
  }
  return ts;
}

bool Before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// A timeout in ms (undefined / Infinity / NaN = forever) as an absolute CLOCK_MONOTONIC
// deadline; false when there is none.
bool Deadline(Local<Value> v, struct timespec* out) {
  if (!v->IsNumber()) return false;
  double ms = v.As<Number>()->Value();
  if (std::isnan(ms) || ms > 1e14) return false;  // ~3000 years: forever
  *out = AddMs(Now(), ms > 0 ? ms : 0);
  return true;
}

// Resolves (sab, index) to the address of a 32-bit word, or throws.
bool GetWord(Isolate* isolate, const FunctionCallbackInfo<Value>& args, int32_t** addr,
             std::shared_ptr<BackingStore>* keep = nullptr) {
  Local<SharedArrayBuffer> sab;
  if (!GetSab(isolate, args[0], &sab)) return false;
  if (!args[1]->IsNumber()) {
    ThrowType(isolate, "index must be a number");
    return false;
  }
  double index = args[1].As<Number>()->Value();
  if (!(index >= 0) || index != std::floor(index) ||
      (index + 1) * 4 > static_cast<double>(sab->ByteLength())) {
    ThrowRange(isolate, "futex index out of range");
    return false;
  }
  if (keep) {
    *keep = sab->GetBackingStore();
    *addr = static_cast<int32_t*>((*keep)->Data()) + static_cast<size_t>(index);
  } else {
    *addr = static_cast<int32_t*>(sab->Data()) + static_cast<size_t>(index);
  }
  return true;
}

Local<String> OutcomeString(Isolate* isolate, int outcome) {
  switch (outcome) {
    case kOk:
      return String::NewFromUtf8Literal(isolate, "ok");
    case kNotEqual:
      return String::NewFromUtf8Literal(isolate, "not-equal");
    case kTimedOut:
      return String::NewFromUtf8Literal(isolate, "timed-out");
    default:
      return String::NewFromUtf8Literal(isolate, "cancelled");
  }
}

struct AsyncWait;

// Per environment (main thread or worker) state of the addon.
struct AddonEnv {
  Isolate* isolate;
  Global<Context> context;
  Global<Function> probe;  // an empty JS function: calling it runs pending V8 interrupts
  std::unordered_map<uint32_t, AsyncWait*> pending;
  uint32_t next_id = 1;
};

// Whether this thread's JS is being terminated (worker.terminate(), process.exit() in a worker).
// A termination request is only an interrupt until JS runs, so run a little JS: the call fails
// if the isolate is terminating.
bool Terminating(AddonEnv* env) {
  Isolate* isolate = env->isolate;
  if (isolate->IsExecutionTerminating()) return true;
  HandleScope scope(isolate);
  Local<Context> context = env->context.Get(isolate);
  return env->probe.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr).IsEmpty();
}

// Sync waits sleep in slices this long, checking between them whether the thread is being
// terminated: unlike Atomics.wait, a futex syscall is not interrupted by worker.terminate().
constexpr double kSyncSliceMs = 50;

// futexWait(sab, index, expected, timeoutMs): blocks while word == expected.
void FutexWait(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  int32_t* addr;
  if (!GetWord(isolate, args, &addr)) return;
  int32_t expected = args[2]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  auto* env = static_cast<AddonEnv*>(args.Data().As<External>()->Value());
  struct timespec deadline;
  bool timed = Deadline(args[3], &deadline);
  for (;;) {
    struct timespec slice = AddMs(Now(), kSyncSliceMs);
    bool last = timed && !Before(slice, deadline);
    if (last) slice = deadline;
    long r = Futex(addr, FUTEX_WAIT_BITSET, static_cast<uint32_t>(expected), &slice, kSyncBit);
    if (r == 0) return args.GetReturnValue().Set(OutcomeString(isolate, kOk));
    if (errno == EINTR) continue;  // absolute deadline: the remaining time is kept
    if (errno == EAGAIN) return args.GetReturnValue().Set(OutcomeString(isolate, kNotEqual));
    if (errno == ETIMEDOUT) {
      if (last) return args.GetReturnValue().Set(OutcomeString(isolate, kTimedOut));
      if (Terminating(env)) return;  // the termination exception is pending: unwind
      continue;
    }
    return ThrowErrno(isolate, errno, "futex", "");
  }
}

// futexWake(sab, index, count): wakes up to count waiters (any process); returns how many.
void FutexWake(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  int32_t* addr;
  if (!GetWord(isolate, args, &addr)) return;
  double count = args[2]->IsNumber() ? args[2].As<Number>()->Value() : INFINITY;
  if (std::isnan(count) || count <= 0) return args.GetReturnValue().Set(0);
  uint32_t n = count >= INT_MAX ? INT_MAX : static_cast<uint32_t>(count);
  long r = Futex(addr, FUTEX_WAKE, n, nullptr, 0);
  if (r < 0) return ThrowErrno(isolate, errno, "futex", "");
  args.GetReturnValue().Set(static_cast<double>(r));
}

// ---------------------------------------------------------------------------------------------
// Async waits

struct AsyncWait {
  AddonEnv* env;
  uint32_t id;
  std::shared_ptr<BackingStore> store;  // keeps the mapping alive while the thread waits
  int32_t* addr;
  int32_t expected;
  bool timed;
  struct timespec deadline;
  alignas(8) std::atomic<uint32_t> cancel_word{0};
  std::atomic<int> outcome{kError};
  int error = 0;
  uv_async_t async;
  pthread_t thread;
  Global<Function> callback;
  node::async_context async_context;

  uint32_t Bit() const { return 1u << (1 + id % 31); }
};

int RunWaitv(AsyncWait* w) {
  FutexWaitv v[2];
  // The cancel word first: when both are woken the kernel reports the higher index, so a
  // real wake-up racing a cancel is reported as 'ok' and never lost.
  v[0] = {0, reinterpret_cast<uint64_t>(&w->cancel_word), FUTEX_32 | FUTEX_PRIVATE_FLAG, 0};
  v[1] = {static_cast<uint64_t>(static_cast<uint32_t>(w->expected)),
          reinterpret_cast<uint64_t>(w->addr), FUTEX_32, 0};
  for (;;) {
    long r = syscall(SYS_futex_waitv, v, 2, 0, w->timed ? &w->deadline : nullptr,
                     CLOCK_MONOTONIC);
    if (r == 1) return kOk;
    if (r == 0) return kCancelled;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      return w->cancel_word.load() != 0 ? kCancelled : kNotEqual;
    }
    if (errno == ETIMEDOUT) return kTimedOut;
    w->error = errno;
    return kError;
  }
}

int RunSliced(AsyncWait* w) {
  for (;;) {
    if (w->cancel_word.load() != 0) return kCancelled;
    struct timespec slice = AddMs(Now(), 100);
    bool last = w->timed && Before(w->deadline, slice);
    if (last) slice = w->deadline;
    long r = Futex(w->addr, FUTEX_WAIT_BITSET, static_cast<uint32_t>(w->expected), &slice,
                   w->Bit());
    // A wake-up is reported as 'ok' even when a cancel caused it: a spurious 'ok' is harmless,
    // a swallowed real one is not.
    if (r == 0) return kOk;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return kNotEqual;
    if (errno == ETIMEDOUT) {
      if (last) return kTimedOut;
      continue;
    }
    w->error = errno;
    return kError;
  }
}

void* WaitThread(void* arg) {
  auto* w = static_cast<AsyncWait*>(arg);
  w->outcome.store(HasWaitv() ? RunWaitv(w) : RunSliced(w));
  uv_async_send(&w->async);  // the JS thread joins this thread before freeing w
  return nullptr;
}

void RequestCancel(AsyncWait* w) {
  if (w->cancel_word.exchange(1) != 0) return;
  if (HasWaitv()) {
    Futex(&w->cancel_word, FUTEX_WAKE_PRIVATE, 1, nullptr, 0);
  } else {
    Futex(w->addr, FUTEX_WAKE_BITSET, INT_MAX, nullptr, w->Bit());
  }
}

void DeleteOnClose(uv_handle_t* handle) {
  delete static_cast<AsyncWait*>(handle->data);
}

// On the JS thread, once the wait thread is done: deliver callback(error, outcome).
void OnWaitDone(uv_async_t* handle) {
  auto* w = static_cast<AsyncWait*>(handle->data);
  pthread_join(w->thread, nullptr);
  AddonEnv* env = w->env;
  env->pending.erase(w->id);
  Isolate* isolate = env->isolate;
  HandleScope scope(isolate);
  Local<Context> context = env->context.Get(isolate);
  Context::Scope context_scope(context);
  Local<Function> callback = w->callback.Get(isolate);
  node::async_context async_context = w->async_context;
  int outcome = w->outcome.load();
  int error = w->error;
  w->callback.Reset();
  w->store.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&w->async), DeleteOnClose);

  Local<Value> argv[2];
  if (outcome == kError) {
    Local<Object> e =
        Exception::Error(Str(isolate, std::string("futex wait failed: ") + strerror(error)))
            .As<Object>();
    e->Set(context, Str(isolate, "code"), Str(isolate, uv_err_name(-error))).Check();
    argv[0] = e;
    argv[1] = v8::Undefined(isolate);
  } else {
    argv[0] = v8::Null(isolate);
    argv[1] = OutcomeString(isolate, outcome);
  }
  node::MakeCallback(isolate, context->Global(), callback, 2, argv, async_context);
  node::EmitAsyncDestroy(isolate, async_context);
}

// futexWaitAsync(sab, index, expected, timeoutMs, callback(err, outcome)) -> id | outcome.
// Returns 'not-equal' / 'timed-out' at once (callback not called) when the outcome is known
// without waiting; otherwise an id for futexCancel, and the callback is called exactly once,
// on this thread, with 'ok' | 'not-equal' | 'timed-out' | 'cancelled'.
void FutexWaitAsync(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  auto* env = static_cast<AddonEnv*>(args.Data().As<External>()->Value());
  int32_t* addr;
  std::shared_ptr<BackingStore> store;
  if (!GetWord(isolate, args, &addr, &store)) return;
  Local<Context> context = isolate->GetCurrentContext();
  int32_t expected = args[2]->Int32Value(context).FromMaybe(0);
  if (!args[4]->IsFunction()) return ThrowType(isolate, "callback must be a function");
  struct timespec deadline;
  bool timed = Deadline(args[3], &deadline);
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) {
    return args.GetReturnValue().Set(OutcomeString(isolate, kNotEqual));
  }
  if (timed && !Before(Now(), deadline)) {
    return args.GetReturnValue().Set(OutcomeString(isolate, kTimedOut));
  }

  auto* w = new AsyncWait();
  w->env = env;
  w->id = env->next_id++;
  if (env->next_id == 0) env->next_id = 1;
  w->store = std::move(store);
  w->addr = addr;
  w->expected = expected;
  w->timed = timed;
  w->deadline = deadline;
  w->async.data = w;
  int r = uv_async_init(node::GetCurrentEventLoop(isolate), &w->async, OnWaitDone);
  if (r != 0) {
    delete w;
    return ThrowErrno(isolate, -r, "uv_async_init", "");
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the helper inherits a fully blocked mask
  int err = pthread_create(&w->thread, &attr, WaitThread, w);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    w->store.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&w->async), DeleteOnClose);
    return ThrowErrno(isolate, err, "pthread_create", "");
  }
  w->callback.Reset(isolate, args[4].As<Function>());
  w->async_context = node::EmitAsyncInit(isolate, Object::New(isolate), "MULTIPROC_FUTEX_WAIT");
  env->pending[w->id] = w;
  args.GetReturnValue().Set(static_cast<double>(w->id));
}

// futexCancel(id) -> boolean: asks a pending async wait to end; its callback then gets
// 'cancelled' (or the real outcome, if that came first). False if it is no longer pending.
void FutexCancel(const FunctionCallbackInfo<Value>& args) {
  auto* env = static_cast<AddonEnv*>(args.Data().As<External>()->Value());
  if (!args[0]->IsNumber()) return args.GetReturnValue().Set(false);
  double id = args[0].As<Number>()->Value();
  if (!(id >= 0 && id <= UINT32_MAX)) return args.GetReturnValue().Set(false);
  auto it = env->pending.find(static_cast<uint32_t>(id));
  if (it == env->pending.end()) return args.GetReturnValue().Set(false);
  RequestCancel(it->second);
  args.GetReturnValue().Set(true);
}

// pendingAsyncWaits() -> number of this thread's pending async waits (for tests).
void PendingAsyncWaits(const FunctionCallbackInfo<Value>& args) {
  auto* env = static_cast<AddonEnv*>(args.Data().As<External>()->Value());
  args.GetReturnValue().Set(static_cast<double>(env->pending.size()));
}

// The environment (main thread or worker) is going away: cancel and join every pending wait,
// drop the callbacks without calling them, and close the handles.
void CleanupEnv(void* arg) {
  auto* env = static_cast<AddonEnv*>(arg);
  for (auto& entry : env->pending) RequestCancel(entry.second);
  for (auto& entry : env->pending) {
    AsyncWait* w = entry.second;
    pthread_join(w->thread, nullptr);
    w->callback.Reset();
    w->store.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&w->async), DeleteOnClose);
  }
  env->pending.clear();
  env->probe.Reset();
  env->context.Reset();
  delete env;
}

// ---------------------------------------------------------------------------------------------
// Processes

// setParentDeathSignal(signal): this process gets `signal` when the thread that spawned it
// exits (normally: the parent process dies, even by SIGKILL). 0 clears it.
void SetParentDeathSignal(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  int sig = args[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (sig < 0 || sig > 64) return ThrowRange(isolate, "invalid signal number");
  if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig)) < 0) {
    return ThrowErrno(isolate, errno, "prctl", "");
  }
}

void SetMethod(Local<Context> context, Local<Object> target, const char* name,
               v8::FunctionCallback fn, Local<Value> data) {
  Isolate* isolate = context->GetIsolate();
  Local<FunctionTemplate> t = FunctionTemplate::New(isolate, fn, data);
  Local<String> n = Str(isolate, name);
  Local<Function> f = t->GetFunction(context).ToLocalChecked();
  f->SetName(n);
  target->Set(context, n, f).Check();
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = context->GetIsolate();
  auto* env = new AddonEnv();
  env->isolate = isolate;
  env->context.Reset(isolate, context);
  Local<v8::Script> probe =
      v8::Script::Compile(context, Str(isolate, "(function multiprocProbe() {})")).ToLocalChecked();
  env->probe.Reset(isolate, probe->Run(context).ToLocalChecked().As<Function>());
  node::AddEnvironmentCleanupHook(isolate, CleanupEnv, env);
  Local<Value> data = External::New(isolate, env);
  SetMethod(context, exports, "shmCreate", ShmCreate, data);
  SetMethod(context, exports, "shmOpen", ShmOpen, data);
  SetMethod(context, exports, "shmUnlink", ShmUnlink, data);
  SetMethod(context, exports, "mapFile", MapFile, data);
  SetMethod(context, exports, "msync", Msync, data);
  SetMethod(context, exports, "addressOf", AddressOf, data);
  SetMethod(context, exports, "mappingOf", MappingOf, data);
  SetMethod(context, exports, "futexWait", FutexWait, data);
  SetMethod(context, exports, "futexWake", FutexWake, data);
  SetMethod(context, exports, "futexWaitAsync", FutexWaitAsync, data);
  SetMethod(context, exports, "futexCancel", FutexCancel, data);
  SetMethod(context, exports, "pendingAsyncWaits", PendingAsyncWaits, data);
  SetMethod(context, exports, "setParentDeathSignal", SetParentDeathSignal, data);
  exports
      ->Set(context, Str(isolate, "futexWaitv"), v8::Boolean::New(isolate, HasWaitv()))
      .Check();
}
