package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// readStream decodes a snapshot document. A splitter finds the values of
// the document's fields and the elements of objects without decoding
// them (encoding/json's Decoder scans each value twice to hand it out as a
// RawMessage, on one goroutine); the fields other than objects are decoded
// with encoding/json at the end, each element of objects is validated and
// decoded by one decoder per core, in batches, so that reading the stream
// and decoding the objects overlap. Field names match as encoding/json
// matches them (case-insensitively; the last of repeated fields wins).
// What follows the document is not read.
func readStream(r io.Reader, each func(*Object), value ValueFunc) (*Snapshot, error) {
	sp := &splitter{r: r}
	if err := sp.want('{'); err != nil {
		return nil, err
	}
	header := map[string]json.RawMessage{}
	var objects []Object
	if c, err := sp.peek(); err != nil {
		return nil, err
	} else if c == '}' {
		sp.pos++
	} else {
		for {
			raw, err := sp.value(nil)
			if err != nil {
				return nil, err
			}
			var key string
			if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &key) != nil {
				return nil, fmt.Errorf("invalid object key %.40q", raw)
			}
			if err := sp.want(':'); err != nil {
				return nil, err
			}
			if strings.EqualFold(key, "objects") {
				if objects, err = readObjects(sp, each, value); err != nil {
					return nil, err
				}
			} else {
				v, err := sp.value(nil)
				if err != nil {
					return nil, err
				}
				if !json.Valid(v) {
					var x any
					return nil, fmt.Errorf("%s: %w", key, json.Unmarshal(v, &x))
				}
				header[key] = v
			}
			c, err := sp.next()
			if err != nil {
				return nil, err
			}
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, fmt.Errorf("want ',' or '}' after field %q, found %q", key, c)
			}
		}
	}
	b, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	hd := json.NewDecoder(bytes.NewReader(b))
	hd.UseNumber()
	var s Snapshot
	if err := hd.Decode(&s); err != nil {
		return nil, err
	}
	s.Objects = objects
	return &s, nil
}

// splitter reads a JSON document value by value, without decoding.
type splitter struct {
	r   io.Reader
	buf []byte
	pos int
	err error
}

const splitChunk = 256 << 10

// fill reads more input into buf once it has all been read; false at the
// end of input.
func (s *splitter) fill() bool {
	for s.pos >= len(s.buf) {
		if s.err != nil {
			return false
		}
		if cap(s.buf) == 0 {
			s.buf = make([]byte, splitChunk)
		}
		n, err := s.r.Read(s.buf[:cap(s.buf)])
		s.buf, s.pos, s.err = s.buf[:n], 0, err
		if n == 0 && err == nil {
			continue
		}
	}
	return true
}

func (s *splitter) eof() error {
	if s.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return s.err
}

// peek returns the next byte that is not white space, not consuming it.
func (s *splitter) peek() (byte, error) {
	for {
		if !s.fill() {
			return 0, s.eof()
		}
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c, nil
		}
	}
}

// next consumes the next byte that is not white space.
func (s *splitter) next() (byte, error) {
	c, err := s.peek()
	if err == nil {
		s.pos++
	}
	return c, err
}

func (s *splitter) want(c byte) error {
	got, err := s.next()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("want %q, found %q", string(c), string(got))
	}
	return nil
}

// value appends the next value to dst, unchecked: an object, array or
// string up to its matching end (counting brackets outside strings), any
// other value up to white space, ',', ']' or '}'. An invalid value is
// appended whole or in part, for the caller's validation to reject.
func (s *splitter) value(dst []byte) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return dst, err
	}
	if c != '{' && c != '[' && c != '"' {
		for {
			b := s.buf[s.pos:]
			for i, ch := range b {
				switch ch {
				case ' ', '\t', '\n', '\r', ',', ']', '}':
					s.pos += i
					return append(dst, b[:i]...), nil
				}
			}
			dst = append(dst, b...)
			s.pos = len(s.buf)
			if !s.fill() {
				if s.err == io.EOF {
					return dst, nil
				}
				return dst, s.err
			}
		}
	}
	depth, inStr, esc := 0, false, false
	for {
		b := s.buf[s.pos:]
		for i := 0; i < len(b); i++ {
			ch := b[i]
			if inStr {
				switch {
				case esc:
					esc = false
				case ch == '\\':
					esc = true
				case ch == '"':
					inStr = false
					if depth == 0 {
						s.pos += i + 1
						return append(dst, b[:i+1]...), nil
					}
				default:
					// Skip to the next quote or backslash.
					if j := bytes.IndexAny(b[i:], "\"\\"); j > 0 {
						i += j - 1
					} else if j < 0 {
						i = len(b) - 1
					}
				}
				continue
			}
			switch ch {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos += i + 1
					return append(dst, b[:i+1]...), nil
				}
			}
		}
		dst = append(dst, b...)
		s.pos = len(s.buf)
		if !s.fill() {
			return dst, s.eof()
		}
	}
}

const readBatch = 256

// batch is readBatch elements of objects, raw, in one buffer.
type batch struct {
	start int
	buf   []byte
	ends  []int
}

// readObjects decodes the objects array (or null) at the splitter's
// position. value, when not nil, decodes the elements it can (see
// ReadValues); the others are decoded with encoding/json and given to each.
func readObjects(sp *splitter, each func(*Object), value ValueFunc) ([]Object, error) {
	c, err := sp.peek()
	if err != nil {
		return nil, err
	}
	if c != '[' {
		v, err := sp.value(nil)
		if err != nil {
			return nil, err
		}
		if string(v) == "null" {
			return nil, nil
		}
		return nil, fmt.Errorf("objects: want an array, found %.40q", v)
	}
	sp.pos++
	var (
		mu       sync.Mutex
		decoded  = map[int][]Object{} // by batch start
		firstErr error
		errAt    = -1
	)
	fail := func(i int, err error) {
		mu.Lock()
		if errAt < 0 || i < errAt {
			errAt, firstErr = i, fmt.Errorf("objects[%d]: %w", i, err)
		}
		mu.Unlock()
	}
	jobs := make(chan batch, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fast *fastDecoder
			if value != nil {
				fast = &fastDecoder{}
			}
			for b := range jobs {
				out := make([]Object, len(b.ends))
				from := 0
				for i, end := range b.ends {
					raw := b.buf[from:end]
					from = end
					if !json.Valid(raw) {
						var x any
						err := json.Unmarshal(raw, &x)
						if err == nil {
							err = errors.New("invalid JSON")
						}
						fail(b.start+i, err)
						break
					}
					if fast != nil && fast.decode(raw, &out[i], value) {
						continue
					}
					d := json.NewDecoder(bytes.NewReader(raw))
					d.UseNumber()
					if err := d.Decode(&out[i]); err != nil {
						fail(b.start+i, err)
						break
					}
					if each != nil && out[i].Object != nil {
						each(&out[i])
					}
				}
				mu.Lock()
				decoded[b.start] = out
				mu.Unlock()
			}
		}()
	}
	n := 0
	cur := batch{}
	readErr := func() error {
		if c, err := sp.peek(); err != nil {
			return err
		} else if c == ']' {
			sp.pos++
			return nil
		}
		for {
			mark := len(cur.buf)
			var err error
			if cur.buf, err = sp.value(cur.buf); err != nil {
				return fmt.Errorf("objects[%d]: %w", n, err)
			}
			if len(cur.buf) == mark {
				return fmt.Errorf("objects[%d]: no value", n)
			}
			cur.ends = append(cur.ends, len(cur.buf))
			n++
			if len(cur.ends) == readBatch {
				jobs <- cur
				cur = batch{start: n, buf: make([]byte, 0, len(cur.buf))}
			}
			c, err := sp.next()
			if err != nil {
				return errors.New("objects: unterminated array")
			}
			if c == ']' {
				return nil
			}
			if c != ',' {
				return fmt.Errorf("objects[%d]: want ',' or ']', found %q", n-1, c)
			}
		}
	}()
	if len(cur.ends) > 0 {
		jobs <- cur
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}
	if firstErr != nil {
		return nil, firstErr
	}
	objects := make([]Object, 0, n)
	for start := 0; start < n; start += readBatch {
		objects = append(objects, decoded[start]...)
	}
	return objects, nil
}
