// 张大爷's story from the mini-program: sign in, upload a photo, submit a complaint, show it.
import { api, signIn, uploadPhoto, type Schemas } from "./api";

export async function reportBrokenManhole(photoPath: string): Promise<string> {
  await signIn();
  const me = await api("get", "/api/v1/me");
  const photo = await uploadPhoto(photoPath);
  const created: Schemas["ComplaintOut"] = await api("post", "/api/v1/complaints", {
    category_id: "0b6f4a52-3c9d-4e8f-9a1b-2c3d4e5f6a7b",
    description: `${me.nickname ?? "居民"}：金华小区 3 栋门口井盖破损，夜里有人差点摔倒`,
    location: { compound_id: "5b1e7c2a-8f3d-4a6b-9c0e-1d2f3a4b5c6d" },
    photo_ids: [photo.id],
    contact_preference: "wechat",
  });
  // `<image src="{{photo.thumbnail_url}}">` loads the signed URL without a header.
  const thumbnails: string[] = created.photos.map((p) => p.thumbnail_url);
  return `${created.number} ${created.state_title} ${thumbnails.length}`;
}
