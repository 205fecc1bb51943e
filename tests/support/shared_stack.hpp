// shared_stack.hpp: a GoogleTest fixture base whose suite shares one stack
// (daemons, nginx, redis-server ...) built in SetUpTestSuite and torn down
// after the suite's last test. `Stack` is any default-constructible type
// that starts everything in its constructor and stops it in its destructor.
#pragma once

#include <gtest/gtest.h>

namespace spindle::test {

template <class Stack, class Base = ::testing::Test>
class SharedStackTest : public Base {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack(); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  static Stack* stack_;
};

template <class Stack, class Base>
Stack* SharedStackTest<Stack, Base>::stack_ = nullptr;

}  // namespace spindle::test
