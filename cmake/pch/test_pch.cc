// The translation unit that builds the test targets' shared precompiled header
// (cmake/MpliHelpers.cmake, mpli_test_pch); it holds no code of its own.
