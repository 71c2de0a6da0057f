/**
 * The AWS SDK for code outside src/s3 that must speak S3 itself: the tests of the simulated server,
 * which check it against the real client. The lint rule keeps `@aws-sdk/*` imports inside src/s3, so
 * they come through here rather than from the SDK.
 */
export {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
