import gzip
import os
import subprocess
import tempfile
import unittest

import llmdata


class CommonTest(unittest.TestCase):
    def test_version(self):
        self.assertRegex(llmdata.version(), r"^\d+\.\d+\.\d+$")
        major, minor, patch = map(int, llmdata.version().split("."))
        self.assertEqual(llmdata.version_number(), major * 10000 + minor * 100 + patch)

    def test_reader_plain_and_zstd(self):
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "a.jsonl")
            with open(plain, "wb") as f:
                f.write(b'{"text":"x"}\r\n{"text":"y"}')
            self.assertEqual(list(llmdata.JsonlReader(plain)), [b'{"text":"x"}', b'{"text":"y"}'])
            z = plain + ".zst"
            subprocess.run(["zstd", "-q", plain, "-o", z], check=True)
            self.assertEqual(list(llmdata.JsonlReader(z)), [b'{"text":"x"}', b'{"text":"y"}'])

    def test_error_carries_message(self):
        with self.assertRaises(llmdata.LlmdError) as cm:
            llmdata.JsonlReader("/nonexistent/x.jsonl")
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_NOT_FOUND")
        self.assertIn("/nonexistent/x.jsonl", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
