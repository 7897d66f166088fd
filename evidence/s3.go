package evidence

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// S3Scheme starts an object-store location: s3://BUCKET/PREFIX.
const S3Scheme = "s3://"

// IsS3URL reports whether a location names an object store.
func IsS3URL(s string) bool { return strings.HasPrefix(s, S3Scheme) }

// S3Location is a bucket and a key prefix (no leading or trailing slash;
// "" for the bucket's root).
type S3Location struct {
	Bucket string
	Prefix string
}

// ParseS3URL parses s3://BUCKET[/PREFIX].
func ParseS3URL(s string) (S3Location, error) {
	if !IsS3URL(s) {
		return S3Location{}, fmt.Errorf("%q: not an s3://BUCKET/PREFIX URL", s)
	}
	rest := strings.TrimPrefix(s, S3Scheme)
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" {
		return S3Location{}, fmt.Errorf("%q: no bucket (want s3://BUCKET/PREFIX)", s)
	}
	for _, el := range strings.Split(prefix, "/") {
		if el == "." || el == ".." || prefix != "" && el == "" {
			return S3Location{}, fmt.Errorf("%q: the prefix has an empty, . or .. element", s)
		}
	}
	return S3Location{Bucket: bucket, Prefix: prefix}, nil
}

// Key joins the prefix and a slash-separated path.
func (l S3Location) Key(p ...string) string {
	return strings.TrimPrefix(path.Join(append([]string{l.Prefix}, p...)...), "/")
}

// URL is s3://BUCKET/PREFIX[/p…].
func (l S3Location) URL(p ...string) string {
	k := l.Key(p...)
	if k == "" {
		return S3Scheme + l.Bucket
	}
	return S3Scheme + l.Bucket + "/" + k
}

// S3ClientOptions adjust NewS3Client; the zero value reads the
// environment only.
type S3ClientOptions struct {
	// Transport replaces the HTTP transport (the fault tests inject
	// failures with it); nil is minio-go's default.
	Transport http.RoundTripper
}

// NewS3Client builds an S3 client from the standard AWS variables: the
// endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (default AWS S3,
// https), the region from AWS_REGION or AWS_DEFAULT_REGION, and the
// credentials from the first of these that has them: AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE); web identity
// (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as EKS IRSA sets them),
// the container credentials endpoint (ECS, EKS Pod Identity) and the EC2
// instance role.
func NewS3Client(opt S3ClientOptions) (*minio.Client, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		endpoint = "https://s3.amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL %q: want http(s)://HOST[:PORT]", endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL %q: a path is not supported (want http(s)://HOST[:PORT])", endpoint)
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{},
	})
	return minio.New(u.Host, &minio.Options{
		Creds:     creds,
		Secure:    u.Scheme == "https",
		Region:    region,
		Transport: opt.Transport,
	})
}

// S3Store writes bundles as objects under a prefix: PREFIX/<bundle>/<file>.
type S3Store struct {
	Client *minio.Client
	S3Location
	// RetainDays > 0 sets Object Lock retention in compliance mode on
	// every object of the bundle, for that many days, where the bucket
	// has Object Lock enabled; where it has not, Notes says so.
	RetainDays int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Notes, after WriteBundle: what the caller should tell the user
	// (retention not set and why; a conditional put not supported).
	Notes []string
}

// ObjectLockEnabled reports whether the bucket has Object Lock enabled.
func ObjectLockEnabled(ctx context.Context, c *minio.Client, bucket string) (bool, error) {
	status, _, _, _, err := c.GetObjectLockConfig(ctx, bucket)
	if err != nil {
		code := minio.ToErrorResponse(err).Code
		if code == "ObjectLockConfigurationNotFoundError" || code == "ObjectLockConfigurationNotFound" {
			return false, nil
		}
		return false, err
	}
	return status == "Enabled", nil
}

// WriteBundle implements Store: every file as an object, in order, the
// manifest last, each put only if no object of that key exists
// (If-None-Match: *), after checking that nothing is stored under the
// bundle's prefix. A failed put stops the upload before the manifest and
// removes the objects already put (with retention they stay as versions,
// hidden by a delete marker): readers take a bundle without a manifest for
// an incomplete one.
func (s *S3Store) WriteBundle(ctx context.Context, name string, files []File) (string, error) {
	dir := s.Key(name) + "/"
	where := s.URL(name)
	for obj := range s.Client.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true, MaxKeys: 1}) {
		if obj.Err != nil {
			return "", fmt.Errorf("evidence bundle %s: list: %w", where, obj.Err)
		}
		return "", fmt.Errorf("evidence bundle %s already exists (%s): bundles are never overwritten", where, obj.Key)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var retainUntil time.Time
	if s.RetainDays > 0 {
		locked, err := ObjectLockEnabled(ctx, s.Client, s.Bucket)
		if err != nil {
			return "", fmt.Errorf("evidence bundle %s: object lock configuration of bucket %s: %w", where, s.Bucket, err)
		}
		if locked {
			retainUntil = now().UTC().AddDate(0, 0, s.RetainDays).Truncate(time.Second)
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf("--retain-days %d: bucket %s does not have Object Lock enabled: no retention was set on %s (enable Object Lock when creating the bucket, or keep the bundle immutable otherwise)", s.RetainDays, s.Bucket, where))
		}
	}
	var put []string
	conditional := true
	fail := func(f File, err error) (string, error) {
		for _, k := range put {
			_ = s.Client.RemoveObject(context.WithoutCancel(ctx), s.Bucket, k, minio.RemoveObjectOptions{})
		}
		return "", fmt.Errorf("evidence bundle %s: upload of %s failed, the bundle has no %s (%d of %d objects were put, then removed): %w", where, f.Path, FileManifest, len(put), len(files), err)
	}
	for _, f := range files {
		key := dir + f.Path
		opts := minio.PutObjectOptions{ContentType: contentType(f.Path), SendContentMd5: true, DisableMultipart: true}
		if !retainUntil.IsZero() {
			opts.Mode = minio.Compliance
			opts.RetainUntilDate = retainUntil
		}
		if conditional {
			opts.SetMatchETagExcept("*")
		}
		_, err := s.Client.PutObject(ctx, s.Bucket, key, bytes.NewReader(f.Data), int64(len(f.Data)), opts)
		if err != nil && conditional && minio.ToErrorResponse(err).Code == "NotImplemented" {
			// A server without conditional writes: the listing above is
			// the only guard left.
			conditional = false
			s.Notes = append(s.Notes, fmt.Sprintf("the object store does not support conditional writes (If-None-Match): %s was checked to be absent before the upload, but a concurrent writer is not excluded", where))
			opts = minio.PutObjectOptions{ContentType: opts.ContentType, SendContentMd5: true, DisableMultipart: true, Mode: opts.Mode, RetainUntilDate: opts.RetainUntilDate}
			_, err = s.Client.PutObject(ctx, s.Bucket, key, bytes.NewReader(f.Data), int64(len(f.Data)), opts)
		}
		if err != nil {
			if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
				return fail(f, fmt.Errorf("%s already exists: bundles are never overwritten", key))
			}
			return fail(f, err)
		}
		put = append(put, key)
	}
	return where, nil
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".json", ".sarif":
		return "application/json"
	case ".jsonl":
		return "application/x-ndjson"
	case ".html":
		return "text/html; charset=utf-8"
	case ".gz":
		return "application/gzip"
	case ".yaml":
		return "application/yaml"
	}
	return "text/plain; charset=utf-8"
}

// S3Source reads one bundle: the objects under PREFIX/<bundle>/.
type S3Source struct {
	Client *minio.Client
	S3Location
}

func (s S3Source) String() string { return s.URL() }

// Read implements Source.
func (s S3Source) Read(ctx context.Context, p string, max int64) ([]byte, error) {
	key := s.Key(p)
	obj, err := s.Client.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err(key, err)
	}
	defer obj.Close()
	st, err := obj.Stat()
	if err != nil {
		return nil, s3Err(key, err)
	}
	if st.Size > max {
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", s.URL(p), st.Size, fsutil.ErrTooLarge, max)
	}
	b, err := io.ReadAll(io.LimitReader(obj, max+1))
	if err != nil {
		return nil, s3Err(key, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes: %w", s.URL(p), max, fsutil.ErrTooLarge)
	}
	return b, nil
}

// Open implements Source.
func (s S3Source) Open(ctx context.Context, p string, max int64) (io.ReadCloser, error) {
	key := s.Key(p)
	obj, err := s.Client.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err(key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, s3Err(key, err)
	}
	if st.Size > max {
		obj.Close()
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", s.URL(p), st.Size, fsutil.ErrTooLarge, max)
	}
	return obj, nil
}

func s3Err(key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return err
}

// List implements Source: every object under the bundle's prefix (a
// zero-byte "folder" marker ending in / is no file).
func (s S3Source) List(ctx context.Context) ([]Entry, error) {
	dir := s.Key() + "/"
	var out []Entry
	for obj := range s.Client.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			return nil, obj.Err
		}
		rel := strings.TrimPrefix(obj.Key, dir)
		if strings.HasSuffix(rel, "/") && obj.Size == 0 {
			continue
		}
		out = append(out, Entry{Path: rel}) // an object is a regular file
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// S3Bundles lists the bundles directly under a location: the names of
// the PREFIX/<name>/ that hold a manifest.json (complete), and of those
// that hold objects but no manifest (incomplete: an upload that failed or
// is still running), each sorted.
func S3Bundles(ctx context.Context, c *minio.Client, loc S3Location) (complete, incomplete []string, err error) {
	dir := loc.Key()
	if dir != "" {
		dir += "/"
	}
	seen := map[string]bool{}
	for obj := range c.ListObjects(ctx, loc.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			return nil, nil, fmt.Errorf("%s: list: %w", loc.URL(), obj.Err)
		}
		name, rest, ok := strings.Cut(strings.TrimPrefix(obj.Key, dir), "/")
		if !ok || name == "" {
			continue // an object beside the bundles
		}
		if _, ok := seen[name]; !ok {
			seen[name] = false
		}
		if rest == FileManifest {
			seen[name] = true
		}
	}
	for n, ok := range seen {
		if ok {
			complete = append(complete, n)
		} else {
			incomplete = append(incomplete, n)
		}
	}
	sort.Strings(complete)
	sort.Strings(incomplete)
	return complete, incomplete, nil
}

// HasS3Manifest reports whether loc is itself a bundle (holds
// manifest.json).
func HasS3Manifest(ctx context.Context, c *minio.Client, loc S3Location) (bool, error) {
	_, err := c.StatObject(ctx, loc.Bucket, loc.Key(FileManifest), minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return false, err
}
