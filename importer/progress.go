package importer

import (
	"bufio"
	"io"
	"io/fs"
	"time"

	"github.com/schollz/progressbar/v3"
)

// withProgress returns r counting its bytes on a progress bar written to w,
// and a function that finishes the bar. With a nil w it returns r as is.
// The bar shows a fraction when r is a regular file (its size is known),
// a byte count otherwise; it redraws at most every 100 ms and is cleared
// when done, so the caller's summary takes its line.
func withProgress(r io.Reader, w io.Writer, desc string) (io.Reader, func()) {
	if w == nil {
		return r, func() {}
	}
	size := int64(-1)
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			size = fi.Size()
		}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine: redraw only on reads
		progressbar.OptionClearOnFinish(),
	}
	if size < 0 {
		opts = append(opts, progressbar.OptionShowCount()) // else nothing is drawn
	}
	bar := progressbar.NewOptions64(size, opts...)
	pr := progressbar.NewReader(r, bar)
	return &pr, func() {
		_ = bar.Finish()
	}
}

// skipBOM drops a UTF-8 byte order mark at the start of r.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	return br
}
