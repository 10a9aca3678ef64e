"""The demo agency's program playbook: what its eight-month creator program teaches, month by month,
and a few articles for any month. `flask studio seed-demo` loads these; staff edit them in the studio."""

# (program month, or None for any month; title; body in Markdown)
PLAYBOOK: tuple[tuple[int | None, str, str], ...] = (
    # Month 1: foundations
    (1, "Month 1: Find your niche and your audience", """\
This month, focus on foundations: who you make content for, what you help them with, and what a stranger
sees when they land on your profile and bio. Everything in the next seven months builds on these answers, so take
your time.

A niche is not a topic; it is a promise to a specific person. "Cooking" is a topic. "Weeknight dinners for
nurses on night shifts" is a niche: you can picture the viewer, their problem and their reason to follow.

### Write your one-line niche

Fill in this sentence and keep it somewhere you will see it every day:

- I help **[who]** to **[do or feel what]** with **[your angle]**.
- Who: one kind of person, with an age range, a situation or a job.
- What: a result they want, or a problem they already search for.
- Angle: what only you bring - your background, humour, budget or location.

Then list ten questions your audience asks. Read the comments under bigger creators in your space, and the
search suggestions on TikTok and YouTube. If you can't find ten, your niche is too narrow; if the questions
have nothing in common, it is too broad.

Bring your sentence and your ten questions to your first coaching call."""),
    (1, "Audit your profile and bio", """\
Your profile is your shop window. Most people decide whether to follow you within a few seconds of opening
it, usually straight after one video that worked. This month, audit your profile on every platform you use.

- **Name field:** on Instagram and TikTok the name field is searchable. Use "Ana | Budget Travel" rather
  than just "Ana".
- **Profile photo:** your face, close up, in good light, on a plain background. It has to work at the size
  of a fingernail.
- **Bio:** say who it is for and what they get, in plain words. For example: "Cheap flights and carry-on
  packing for students. New guide every Tuesday."
- **Link:** one link, to the thing you most want people to do now. A link page is fine if the first button
  is the important one.
- **Pinned posts:** pin three - your best-performing video, one that explains who you are, and one that
  shows your niche at its clearest.
- **Highlights and playlists:** rename and reorder them so a newcomer can binge your best work.

Finally, ask someone outside your niche to look at your profile for five seconds and tell you what you do.
If they can't, rewrite your bio until they can."""),
    (1, "Record your baseline numbers", """\
Before you change anything, write down where you are starting from. In month 8 you will compare against
these numbers; without them you can't tell what the program changed.

On the first day of month 1, record these for each platform in the tracking sheet your coach shares:

- Followers or subscribers.
- Average views per post over your last 10 posts. Use the median if one video went viral, so it doesn't
  skew your baseline.
- Average watch time or retention (TikTok, YouTube and Instagram all show this per video).
- Saves and shares per post, averaged over the same 10 posts.
- Profile visits and link clicks over the last 28 days.
- Posts per week over the last month - be honest.
- Income from content in the last three months, if any: brand deals, affiliate links, products.

Also write three sentences about how you feel about your content right now. It sounds soft, but it is
useful when you look back.

Don't judge these numbers. A baseline is not a grade; it is the starting point on the map. Update the
sheet at the end of every month so you see the trend, not just today's figure."""),

    # Month 2: content pillars and batching
    (2, "Month 2: Choose 3-4 content pillars", """\
This month, focus on content pillars and a repeatable way of producing content. Pillars are the three or
four recurring themes that every post belongs to. They make your feed recognisable and end the daily
"what do I post today?" panic.

A good set of pillars covers different reasons to follow you:

- **Teach:** how-tos, tips, mistakes to avoid. These earn saves.
- **Show:** behind the scenes, your process, your day. These build trust.
- **Relate:** opinions, stories, "things only nurses understand". These earn shares and comments.
- **Sell (lightly):** results, client stories, your offer. Keep it to about one post in ten for now.

Example for a home fitness creator: 10-minute workouts (teach), my training week (show), gym myth hot
takes (relate), client check-ins (sell).

Test your pillars against your last 20 posts. Which pillar got the most views, saves and follows? Which
did you enjoy making? Keep the pillars that score on at least one of those. Drop anything you dread
making - you won't keep it up for seven months.

Write your pillars at the top of your content calendar and tag every idea with one."""),
    (2, "Set up a weekly batching day", """\
Batching means making several posts in one session instead of one post a day. Most creators in the program
win back five to eight hours a week, and their posting becomes consistent because the work is already done.

Pick one day (or two half days) each week and protect it like a client meeting. A typical batching day:

- **Morning - plan (1 hour):** pick 5-7 ideas from your idea list, at least one per pillar. Write the hook
  and three beats for each.
- **Late morning - film (2-3 hours):** set up lights and camera once, then film everything. Change your
  top between videos if you want them to look like different days.
- **Afternoon - edit (2-3 hours):** edit in the order you filmed. Use saved templates for captions and
  text styles.
- **End of day - schedule (30 minutes):** write captions, pick covers and schedule the posts in the studio.

Tips that help:

- Keep a running idea list on your phone and add to it all week.
- Film two or three evergreen spare videos, so a bad week doesn't break your streak.
- If a full day feels like too much, start by batching three posts and grow from there."""),
    (2, "A simple content calendar", """\
A content calendar doesn't need to be fancy. It needs to answer three questions at a glance: what is going
out, when, and where. Use the calendar in the studio, or a spreadsheet if you prefer.

Give every post these fields:

- Date and platform
- Pillar
- Hook or working title
- Status: idea, scripted, filmed, edited, scheduled, posted
- Notes: trending sound, collab partner, brand deal deadline

Plan two weeks ahead, not two months. Trends move fast, and a plan that reaches too far becomes a list of
things you feel guilty about. On each batching day, fill the next open week and review the week that just
finished.

A simple weekly rhythm for someone posting five times a week:

- Monday: teaching post
- Tuesday: story or behind the scenes
- Wednesday: teaching post
- Thursday: opinion or trend
- Friday: community post - answer a comment with a video

Leave one slot a week empty on purpose and use it for something timely: a trend, a news item, a question a
follower asked. If nothing comes up, post a spare from your batch."""),

    # Month 3: short-form craft
    (3, "Month 3: Hooks in the first two seconds", """\
This month, focus on short-form craft, starting with the hook. On TikTok, Reels and Shorts, viewers decide
in the first one or two seconds whether to keep watching. If the hook fails, nothing after it matters.

A strong hook does three things at once: it tells viewers who the video is for, makes a promise, and opens
a question they want answered.

Hook patterns that work in most niches:

- **Call out the viewer:** "If you're a freelancer who hates invoicing, watch this."
- **Result first:** show the finished dish, the room after, the before-and-after - then explain how.
- **The mistake:** "Stop rinsing your rice like this."
- **Number and promise:** "Three settings that fixed my blurry videos."
- **Strong opinion:** "Meal prep is a waste of time. Here's what I do instead."

Make the hook work three ways: spoken, as on-screen text, and visually, because many people watch without
sound. Start mid-action - no "hey guys", no intro, no logo.

Your exercise this month: write five hooks for every video before you film, and pick the best one. At the
end of the month, compare the first seconds of your retention graphs with last month's videos."""),
    (3, "Retention and loops", """\
Retention is how much of your video people actually watch. Platforms treat it as one of the strongest
signals when deciding whether to show a video to more people. A 30-second video watched to the end usually
travels further than a 90-second video people leave halfway through.

Ways to keep people watching:

- **Cut the dead air.** Remove breaths, pauses and repeated sentences. Then cut another 10%.
- **Change something every 2-3 seconds:** the angle, a zoom, on-screen text, a B-roll clip.
- **Open a loop early:** "the last tip is the one that matters" - and deliver it at the end.
- **Give value all the way through,** so people don't leave while waiting for the payoff.
- **Keep it as short as the idea needs.** If it works at 15 seconds, don't stretch it to 45.

A loop video ends in a way that flows back into its beginning, so viewers watch twice without noticing.
For example, open with "...buy knives in a set." and end with "and that's why I never". Rewatches count
towards watch time.

Check the retention graph for each video. A steep drop at the start means the hook failed; a drop in the
middle shows exactly where you lost people. Fix that moment in your next video."""),
    (3, "Posting cadence: how often to post", """\
The honest answer to "how often should I post?" is: as often as you can keep up, at good quality, for the
rest of the program. Consistency beats volume. Three good posts a week for six months will do more than
daily posting for three weeks followed by a month of silence.

Starting points by platform:

- **TikTok:** 3-5 videos a week, more if you can batch them without dropping quality.
- **Instagram:** 3-4 Reels a week, plus Stories most days; carousels work well for teaching posts.
- **YouTube:** 3-5 Shorts a week; a long-form video once a week or every two weeks.
- **LinkedIn:** 2-3 text or carousel posts a week, on weekday mornings.
- **X:** short posts most days, with one longer thread a week.
- **Facebook:** reposting your Reels three times a week works for most niches.

Choose your posting times from your own analytics (the hours your followers are online), not from generic
charts. Keep those times fixed for a month, so you compare like with like.

If you need to cut back, cut a platform before you cut quality. It is better to be great on two platforms
than forgettable on five."""),

    # Month 4: community and engagement
    (4, "Month 4: Reply to comments in the first hour", """\
This month, focus on community and engagement: turning viewers into people who know your name. The easiest
place to start is the first hour after you post.

Comments and replies in that first hour tell the platform that people are talking about the post, and every
reply you write gives the commenter a reason to come back. It also shows newcomers that there is a real
person behind the account.

A first-hour routine:

- Post when you can stay near your phone for the next 60 minutes.
- Reply to every comment with more than an emoji, and ask a follow-up question where it fits.
- Pin one useful or funny comment to the top.
- Answer good questions with a video reply - free ideas for next week.
- Spend ten minutes leaving thoughtful comments on other creators' posts in your niche.

Negative comments: if the criticism is fair, reply once, calmly. Hide or delete insults and spam without
replying. Block anyone who makes you or your community feel unsafe - you never owe a troll a debate.

This month, track comments per post next to your views. Engagement usually grows first; views follow."""),
    (4, "DMs without drowning", """\
Direct messages are where followers become fans, collaborators and customers - and where hours disappear.
This month, give your DMs a system instead of answering whenever your phone buzzes.

- **Two check-ins a day,** 15 minutes each. Outside those times, turn notifications off.
- **Sort before you reply:** fans, questions, collab or brand enquiries, and spam. Most apps let you
  move messages into folders or between primary and general.
- **Save quick replies** for the questions you get every week (your camera, a recipe, where your link
  goes). Personalise the first line so they don't feel canned.
- **Move business to e-mail.** When a brand messages you, reply with your business e-mail and ask for a
  brief. Deals agreed in DMs are easy to lose and hard to prove.
- **Send voice notes** to your most engaged followers: they feel personal and take seconds.

Set boundaries you can keep. You don't have to reply to everyone, and nobody is owed a reply at midnight.

Stay safe: never share your address, bank details or log-in codes in a DM. Be wary of "brand" messages
that ask you to click a link and log in - that is a common way accounts get stolen."""),
    (4, "Going live: your first live stream", """\
Going live is the fastest way to deepen your relationship with the followers you already have. Live viewers
are usually your most engaged people, and a regular live slot gives them a reason to show up.

Before you go live:

- Check the platform's requirements; some have a minimum age or follower count for live streams.
- Announce it 24 hours ahead in Stories and in a post, with the time and the topic.
- Plan a loose structure: one topic, three talking points and a question for viewers.
- Use a steady phone stand, good light and a strong Wi-Fi connection.

During the live:

- Greet people by name as they join.
- Re-explain the topic every few minutes for newcomers.
- Read each question aloud before you answer it.
- Aim for 20-30 minutes for your first few lives.

Format ideas: a Q&A, a cook-along or work-along, live profile reviews, or a co-host from your niche.

Don't worry about low numbers. Ten people who stay for half an hour are worth more than a thousand who
scroll past. Go live at the same time every week for a month, then check whether attendance is growing."""),

    # Month 5: collaborations
    (5, "Month 5: Finding collaborators", """\
This month, focus on collaborations: working with other creators so each of you reaches the other's
audience. A good collab puts you in front of people who already like content like yours, and they trust the
introduction because it comes from someone they follow.

Where to find collaborators:

- Creators who comment on your posts, or whose posts you already comment on.
- Other creators in the Northwind program - start in the community channels.
- Creators in a neighbouring niche rather than the same one: budget travel with packing or personal
  finance, a home baker with a coffee creator.
- The hashtags, sounds and search terms your audience uses.

What makes a good fit:

- A similar audience, not necessarily a similar size. At first, aim for accounts between half and double
  your size.
- Engagement that looks real: comments about the content, not just emojis.
- Values and a tone you are happy to be associated with.

By the end of the month, build a list of 20 possible collaborators with their handle, platform, follower
count and one idea for a video you could make together. You will pitch from this list next."""),
    (5, "How to pitch a collab", """\
Most collab pitches fail because they are vague: "we should collab sometime!" A good pitch is specific,
short, and makes it easy to say yes.

Before you pitch, engage with their content for a week or two - genuine comments, not flattery. Then send a
message like this:

> Hi Leo - I loved your video on fitting a week into a backpack. I make budget travel videos for students
> (about 18k followers on TikTok). Idea: we each film a "cheap vs expensive" version of the same city
> weekend and post on the same day, tagging each other. I'm in Lisbon next month. Interested?

Why it works:

- **A concrete idea,** not just "a collab".
- **What they get:** reach into your audience and a ready-made video.
- **Logistics:** when, where, who films, who posts.
- **An easy exit:** no pressure if it isn't a fit.

Send five pitches a week. Expect most to go unanswered; that is normal, not rejection. Follow up once after
a week, then move on.

When someone says yes, agree in writing who posts what and when, who edits, and whether each of you may
reuse the footage later."""),
    (5, "Duets, stitches and remixes", """\
Duets, stitches and remixes let you collaborate with anyone without asking first. They put you next to a
video that is already getting attention, and many viewers discover new creators this way.

- **TikTok Duet:** your video plays side by side with the original. Good for reactions, play-alongs and
  "trying it myself".
- **TikTok Stitch:** you use up to five seconds of someone's video, then continue with your own. Ideal for
  answering a question, disagreeing, or adding the missing step.
- **Instagram Remix:** the Reels version - side by side with the original, or straight after it.
- **YouTube Shorts Remix:** use a short segment of another video or Short inside your own.

Rules of thumb:

- Add something: an answer, a correction, a demonstration, a different angle. Don't just nod along.
- Look for videos in your niche with lots of questions in the comments, then answer the question.
- Be generous. Disagree with the idea, not the person; creators notice who stitches them kindly.
- Respect creators who have turned duets or stitches off, and never use them to pile on someone.

This month, aim for one stitch, duet or remix a week and compare its reach with your regular posts."""),

    # Month 6: monetisation through brand deals
    (6, "Month 6: Build your media kit", """\
This month, focus on monetisation through brand deals - getting paid by brands to feature their products.
The first step is a media kit: a one- or two-page document that tells a brand who you are, who watches you
and what you have done before. Brands ask for it in their first reply, so have it ready before you pitch.

What to include:

- **Who you are:** a photo, your niche in one line, and your handle on each platform.
- **Audience:** followers per platform, plus the demographics brands care about - age range, gender split,
  top countries and cities. Take these from your analytics, as screenshots if you can.
- **Performance:** average views per post over the last 30-90 days, engagement rate, and average saves or
  shares. Averages matter more than your one viral video.
- **Past work:** brands you have worked with and one result each ("42k views, 1,100 link clicks"). If you
  have none yet, show two posts in the style you'd make for a brand.
- **Services:** the deliverables you offer. Keep prices on a separate rate card so you can adjust per brand.
- **Contact:** a business e-mail address.

Keep it visual and short. Update the numbers at the start of every month; brands notice stale figures."""),
    (6, "Your rate card", """\
A rate card is your price list for brand deals: what each deliverable costs on each platform. You won't
send it to every brand, but writing it makes you decide your rates before a negotiation, not during one.

List your deliverables, for example:

- TikTok video (up to 60 seconds)
- Instagram Reel, with or without a matching carousel
- Instagram Story set (three frames with a link sticker)
- YouTube dedicated video, or a 60-90 second integration in a regular video
- LinkedIn post or X thread
- Add-ons: usage rights, whitelisting, exclusivity, raw footage, a link in bio for seven days

Set each price from your average views, not your followers - the article "How to price a brand deal" has
the formula. Then add:

- A **package** of three or more deliverables at a 10-15% discount. Packages are easier for brands to
  approve.
- A **minimum fee** below which you don't take work, so even a small deal is worth your time.
- A **rush fee** of around 25% for content needed in less than a week.

Review your rate card every three months, or whenever your average views change by more than 20%. Raising
your rates after a run of successful deals is normal."""),
    (6, "Pitching brands", """\
You don't have to wait for brands to find you. Most creators in the program land their first brand deal by
pitching.

Start with a list of 20 brands you already use or would happily recommend. Your audience will trust it more
and you'll make better content. Favour brands already working with creators your size - check the
"paid partnership" labels in your niche.

Find the right person: the influencer, creator partnerships or social media manager, not the support inbox.
LinkedIn and the brand's press page help.

A short pitch e-mail:

- **Subject:** be specific - "Budget travel creator x [Brand]: summer idea for students".
- **One line about you:** your niche, audience and average views.
- **Why them:** how you already use the product.
- **One concrete idea:** the video you'd make and why it fits their current campaign.
- **Proof:** your media kit as a PDF, and one past result.
- **A clear ask:** "Can I send you a proposal with rates?"

Send 5-10 pitches a week and track them in a simple sheet: brand, contact, date sent, reply, follow-up.
Follow up once after 5-7 days. A no this month often becomes a yes next quarter."""),

    # Month 7: own offers
    (7, "Month 7: Your first digital product", """\
This month, focus on your own offers: income that doesn't depend on a brand saying yes. Start with one
small digital product that solves one problem your audience already asks you about.

Good first products:

- A template or checklist: a packing list, a content calendar, a budget spreadsheet
- A short guide or e-book of 15-30 pages
- A preset pack or a recipe collection
- A mini-course: 5-7 short videos on one skill
- A paid workshop, run live once and then sold as a recording

To choose, look at your most-saved posts and the DM questions you answer every week. Your product is the
longer, organised, ready-to-use version of those answers.

A first product usually sells for $9-$49: low enough for a follower to buy on impulse, high enough to feel
worth finishing.

Validate before you build. Post about the problem, ask "would a step-by-step guide help?" and open a
waitlist. If 30-50 people join, build it. Launch with a week of content about the problem, a launch-day
live and an early-bird price with a deadline. Afterwards, keep it in your link in bio and mention it in one
post a week."""),
    (7, "Memberships and subscriptions", """\
A membership gives your most loyal followers something extra every month in return for a monthly fee. It
brings predictable income, but it is also a promise you have to keep, so start small.

Your options:

- **Platform subscriptions:** Instagram subscriptions, YouTube channel memberships, TikTok subscriptions
  and Facebook subscriptions, where available. Easy to set up, but the platform takes a cut.
- **Your own membership:** a paid community, newsletter or course hub that you run yourself. More work, but
  you own the relationship and the e-mail list.

What members actually pay for:

- Access to you: a monthly live Q&A, replies, feedback on their work.
- Time savers: monthly templates, meal plans, workout plans.
- Belonging: a private group chat with people like them.
- Early access and behind-the-scenes content.

Keep pricing simple: one tier at $5-$10 a month is plenty to start. Before you launch, decide what you
could deliver every month for a year, even in a bad week. Promise that, and no more.

Expect a small share of your most engaged followers to join - often around 1-2%. A hundred members at $7
a month is $700 of steady income, every month."""),
    (7, "Affiliate links that don't feel like ads", """\
Affiliate marketing pays you a commission when someone buys through your link or code. It is the easiest
own-income stream to start, because you recommend products instead of making them.

Where to find affiliate programs:

- Retailer programs such as Amazon Associates, and in-app shops such as TikTok Shop.
- Brands you already use - many have an affiliate page linked at the bottom of their website.
- Affiliate networks that list many brands in one place.

Make it feel like a recommendation, not an ad:

- Only promote things you have used and would recommend without the commission.
- Show the product solving a real problem in your usual content: the tripod in your filming setup, the pan
  in your recipe.
- Keep a "what I use" list or storefront in your link in bio, and point to it in your videos.
- Mention the downsides too. It makes your recommendation more believable.

Always disclose. Say "affiliate link" or "I earn a commission" in the video or caption, and use the
platform's paid-partnership labels where they exist. Many countries require it by law, and audiences
respect it.

Check clicks and sales per product every month. Drop the links nobody uses and make more content about the
few that sell."""),

    # Month 8: systems and the next year
    (8, "Month 8: Build a repurposing pipeline", """\
This month, focus on systems that keep working after the program ends. Start with repurposing: turning one
piece of content into many, so every idea reaches every platform you use without extra filming days.

A simple weekly pipeline, built around one core piece:

- **Core:** one long piece - a YouTube video, a live, a podcast episode or a long LinkedIn post.
- **Short clips:** 3-5 vertical clips for TikTok, Reels and Shorts. Give each clip its own hook; don't just
  cut from the middle.
- **Carousel:** the key points as a 6-8 slide carousel for Instagram and LinkedIn.
- **Text:** a thread for X and a short post for LinkedIn or Facebook.
- **Stories:** behind the scenes from the shoot, plus a poll about the topic.
- **Newsletter:** a short summary that points to the full piece.

Adapt, don't copy and paste. Remove other apps' watermarks, change the aspect ratio and captions for each
platform, and adjust the tone - LinkedIn is not TikTok.

Write your pipeline down as a checklist and keep it in the studio, so a freelance editor or an assistant
could run it for you. That is the point of a system: it doesn't depend on you remembering every step."""),
    (8, "The monthly analytics review", """\
Looking at your numbers every day makes you anxious; looking once a month makes you smarter. Set up a
60-minute analytics review on the first working day of each month, and keep it going after the program.

The review, in order:

- **Update your tracking sheet** with the same numbers as your month-1 baseline: followers, median views,
  retention, saves, shares, profile visits, link clicks and income.
- **Top five and bottom five:** list the month's five best and five worst posts. For each, note the pillar,
  hook, length and format.
- **Look for patterns,** not one-offs. Do teaching posts get saved? Do opinions get shared? Do videos over
  40 seconds lose people?
- **Check income:** which streams paid this month - brand deals, affiliate, products, memberships - and
  how many hours each one took.
- **Decide three changes** for next month, no more. For example: "shorter intros", "two carousels a
  week", "pitch five brands".

Write the three changes at the top of next month's content calendar. At the next review, check first
whether you made them and whether they worked. That loop - measure, change, check - matters more than any
single number."""),
    (8, "Planning the year after the program", """\
The program ends this month, but your growth doesn't have to. Use the last weeks to plan the next twelve
months while the habits are fresh, and bring your plan to your final coaching call.

### Look back first

Compare today's numbers with your month-1 baseline. Write down the three things that made the biggest
difference, and three things you will stop doing.

Then set your goals for the next year:

- **One audience goal:** for example, 50k followers on TikTok or 1,000 newsletter subscribers.
- **One income goal,** split by stream: brand deals, products, memberships, affiliate.
- **One creative goal:** a series, a new format, or a long-form YouTube channel.
- **One life goal:** the hours you want to work, and the days you won't.

Split the year into four quarters with one main focus each, the way the program used months. A quarter is
long enough to see results and short enough to change course.

Finally, keep the systems that worked: your weekly batching day, the first-hour comment routine, the
monthly analytics review and a quarterly plan. You stay in the Northwind community after the program, so
keep sharing what works and asking for help."""),

    # Any month
    (None, "How to price a brand deal", """\
Price a brand deal from your average views, not your follower count: brands pay for people who will
actually see the content. This is the formula Northwind coaches use as a starting point.

### The formula

**Base rate = (average views / 1,000) x your rate per 1,000 views**

- **Average views:** the median of your last 10-15 posts on that platform, so one viral video doesn't
  inflate it.
- **Rate per 1,000 views:** $20-$30 for TikTok, Reels and Shorts; $30-$50 for YouTube integrations and
  LinkedIn. Start at the low end, higher in niches like finance or tech.

Then adjust:

- **Usage rights** (the brand reuses your video in its own ads): +30% per 30 days.
- **Whitelisting or Spark Ads** (ads run from your account): +30% per 30 days.
- **Exclusivity** (no competing brands): +15-25% per month.
- **Extra deliverables:** price each one, then discount the package by 10-15%.
- **Rush** (under a week): +25%.

Example: a median of 40,000 views on TikTok at $25 gives a base rate of $1,000. Add 30 days of
whitelisting ($300) and 60 days of exclusivity (2 x 20% = $400) for $1,700. Add three Story frames at
$150 each and take 10% off the package: your price is $1,935.

Quote slightly above your target so you have room to negotiate."""),
    (None, "When you feel burnt out", """\
Burnout is common among creators, and it doesn't mean you are doing it wrong. If you are exhausted, dread
filming, or no longer enjoy content you used to love, take it seriously.

Signs to watch for:

- You check your numbers many times a day, and your mood follows them.
- Ideas that used to be fun now feel like homework.
- You are tired even after a weekend off, or you haven't had one in weeks.

What helps:

- **Tell your coach.** Your plan can change: we can slow the pace, drop a platform or move a goal.
- **Take a real break.** Schedule spare posts from your batch, or simply pause. A week or two away rarely
  hurts an account as much as you fear, and most audiences welcome you back.
- **Cut, don't add.** Post less often, on fewer platforms, and reuse what already worked.
- **Turn off notifications** for a while.
- **Separate your worth from your views.** One bad video is one data point.

If you feel low most days for more than two weeks, or have thoughts of harming yourself, please talk to a
doctor or a mental health professional, or contact a local crisis line. You matter more than any posting
schedule."""),
    (None, "Reading your numbers: views, retention, saves and shares", """\
Every platform shows a wall of numbers. These are the ones worth understanding.

- **Views:** how many times the video started playing. Useful for reach but easy to misread, because a view
  can be one second of scrolling. Compare the median of your posts, not the best one.
- **Retention** (average watch time, percentage watched): how much of the video people watched. Where the
  graph drops matters: an early drop means a weak hook, a drop in the middle means slow pacing.
- **Saves:** people want to come back to it. A high save rate means useful content - tutorials, lists,
  recipes.
- **Shares:** people sent it to a friend or posted it to their Story. Shares are the strongest sign that a
  post will reach new people.
- **Comments:** conversation, and a source of ideas for your next videos.
- **Follows per post:** how many viewers liked you enough to come back. The best sign a post grew your
  audience.

To compare posts of different sizes, use rates: saves, shares and follows per 1,000 views. A post with
5,000 views and 60 shares did better than one with 50,000 views and 40 shares.

Don't chase a single number. Views without follows are empty reach; saves without views mean the hook
needs work."""),
    (None, "Contracts: what to check before you sign", """\
A brand deal contract protects both sides, but the first draft is written to protect the brand. Read every
clause before you sign and ask for changes - that is normal, not rude. Your coach can review it with you.

Check these points:

- **Deliverables:** exactly what you will post, where, and by when.
- **Approval rounds:** how many rounds of changes the brand gets. Two is reasonable; "unlimited" is not.
- **Payment:** the amount, the currency and when it is paid. Net 30 is common; net 90 is too long.
- **Usage rights:** where and for how long the brand can use your content. "In perpetuity" or "all media"
  should cost much more, or be removed.
- **Whitelisting:** whether they can run ads from your account, and for how long.
- **Exclusivity:** which competitors you can't work with, and for how long. Keep it narrow, and paid.
- **Kill fee:** what you are paid if the brand cancels after you've started - ask for at least 50%.
- **Termination:** what lets either side end the deal.

Never start filming before the contract is signed. If something was agreed only in a DM or on a call, get
it in writing. This is general guidance, not legal advice: for large or long deals, ask a lawyer."""),
)
